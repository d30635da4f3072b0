#include "server/write_watching_store.h"

#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace trackly::server {

void WriteWatchingStore::Write(store::WriteBatch batch, store::WriteCallback done) {
  absl::flat_hash_set<std::string> traces;
  for (const model::Observation& o : batch.observations) traces.insert(o.trace_id);
  for (const model::ObservationFragment& f : batch.fragments) {
    if (!f.observation.trace_id.empty()) traces.insert(f.observation.trace_id);  // an update may not say
  }
  Acknowledged acknowledged;
  if (watch_ != nullptr && !(batch.observations.empty() && batch.fragments.empty())) acknowledged = watch_(batch);
  if (traces.empty() && acknowledged == nullptr) return backing_.Write(std::move(batch), std::move(done));
  std::string project = batch.project;
  backing_.Write(std::move(batch), [this, project = std::move(project), traces = std::move(traces),
                                  acknowledged = std::move(acknowledged), done = std::move(done)](absl::Status status) {
    if (status.ok()) {
      for (const std::string& trace_id : traces) touched_(project, trace_id);
      if (acknowledged != nullptr) acknowledged();
    }
    done(std::move(status));
  });
}

}  // namespace trackly::server
