// Chat messages as a conversation: role, text (markdown without raw HTML, clipped when long), tool
// calls with their arguments, and which call a tool message answers.
import { JsonView } from '../shared/JsonView';
import { LongText } from '../shared/Markdown';
import type { ChatMessage } from './detail';

export function Conversation({ messages }: { messages: ChatMessage[] }) {
  return (
    <div className="conversation">
      {messages.map((m, i) => (
        <div key={i} className={`message role-${['system', 'user', 'assistant', 'tool'].includes(m.role) ? m.role : 'other'}`}>
          <div className="message-role">
            {m.role}
            {m.toolCallId && <span className="muted"> · answers call {m.toolCallId}</span>}
          </div>
          {m.text !== null && <LongText text={m.text} markdown />}
          {m.parts.map((part, j) => <JsonView key={j} value={part} openDepth={1} />)}
          {m.toolCalls.map((call, j) => (
            <div key={j} className="tool-call">
              <div><span className="muted">calls tool</span> <strong>{call.name}</strong>
                {call.id && <span className="muted"> · {call.id}</span>}</div>
              <JsonView value={call.arguments} openDepth={3} />
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}
