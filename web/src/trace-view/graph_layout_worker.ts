// The agent graph's layout off the main thread: receives { id, graph, widthPx, heightPx } and
// answers { id, positions } (layoutGraph's positions as [node id, position] pairs) or { id, error }.
import { layoutGraph, type LayoutInput } from './graph_layout';

interface Request { id: number; graph: LayoutInput; widthPx: number; heightPx: number }

// A worker's postMessage (the DOM typings give `self` a window's).
const reply = (message: unknown) => (self as unknown as Worker).postMessage(message);

self.onmessage = (event: MessageEvent<Request>) => {
  const { id, graph, widthPx, heightPx } = event.data;
  try {
    reply({ id, positions: [...layoutGraph(graph, widthPx, heightPx)] });
  } catch (error) {
    reply({ id, error: `the graph layout failed: ${error instanceof Error ? error.message : String(error)}` });
  }
};
