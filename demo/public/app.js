// The demo page: follows one execution channel with @sse-gateway/client (client.js, the bundle of
// client/dist/browser.js).
// - The token comes from /demo/token (short-lived, subscribe-only); the page mints nothing. The
//   client sends it in the Authorization header, never in a URL, and fetches a fresh one shortly
//   before it expires (or once, when the gateway refuses it).
// - It opens with `state: true`: the channel's retained events first (the execution's latest status,
//   progress and output), then live events.
// - After a dropped connection the client reconnects by itself with its cursor (backoff with
//   jitter, Retry-After honoured), so nothing is missed; `gateway.gap` means events were lost
//   (history no longer reaches back): the page says so.
// Events are shown as they arrive, duplicates included: nothing is hidden or invented.
import { connect } from './client.js';

const MAX_LOG_LINES = 500;
const TOKEN_RETRY_MS = 3000;
const STATE_TEXT = { connecting: 'connecting…', open: 'live', reconnecting: 'reconnecting…', closed: 'closed' };

const $ = (id) => document.getElementById(id);
const state = {
  executionId: null,
  events: 0,
  agents: new Map(),
  /** Set when the connection was lost; cleared once the page knows whether the resume was complete. */
  resuming: false,
  resumeTimer: undefined,
};

function setConnection(kind, text) {
  const el = $('connection');
  el.className = `connection ${kind}`;
  el.dataset.state = kind;
  $('connection-text').textContent = text;
}

function showNotice(kind, text) {
  const el = $('notice');
  el.textContent = text;
  el.dataset.kind = kind;
  el.className = `notice ${kind}`;
  el.hidden = false;
}

// After a reconnect the gateway sends gateway.gap first, if anything was lost, then the missed
// events. So: the first event after the reconnect, or a quiet moment, without a gap means the
// resume was complete.
function resumeConfirmed() {
  if (!state.resuming) return;
  state.resuming = false;
  clearTimeout(state.resumeTimer);
  if ($('notice').dataset.kind === 'gap') return;
  showNotice('resumed', 'Reconnected: the stream resumed right after the last event this page had, so nothing was missed.');
}

async function fetchGrant() {
  const response = await fetch('token', { cache: 'no-store' });
  if (!response.ok) throw new Error(`the token endpoint answered ${response.status}`);
  return response.json();
}

/** `attempt()`'s result, asking again every TOKEN_RETRY_MS while it fails, unless `givenUp()`. */
async function retried(attempt, givenUp) {
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (givenUp()) throw error;
      setConnection('reconnecting', `no token: ${error.message}; retrying`);
      await new Promise((resolve) => setTimeout(resolve, TOKEN_RETRY_MS));
    }
  }
}

async function start() {
  let grant;
  try {
    grant = await fetchGrant();
  } catch (error) {
    setConnection('closed', `no token: ${error.message}; retrying`);
    return setTimeout(start, TOKEN_RETRY_MS);
  }
  $('channel').textContent = grant.channel;
  // The client asks for a token now, shortly before each expires, and after a refusal: the first
  // time, the one just fetched. A rejection would close the stream for good, so a failing token
  // endpoint is asked again until it answers.
  let first = grant.token;
  const token = async () => {
    const jwt = first ?? (await retried(fetchGrant, () => stream.state === 'closed')).token;
    first = undefined;
    return jwt;
  };
  const stream = connect({ url: grant.gatewayUrl, channels: [grant.channel], token, state: true });
  stream.on('state', (s) => {
    setConnection(s, STATE_TEXT[s]);
    if (s === 'open' && state.resuming) state.resumeTimer = setTimeout(resumeConfirmed, 1500);
  });
  stream.on('error', (error) => {
    if (error.fatal) return setConnection('closed', `closed: ${error.message}`);
    // The connection was lost (not a planned token refresh): tell whether the resume was complete.
    if (stream.cursor !== undefined) state.resuming = true;
    setConnection('reconnecting', `reconnecting… (${error.message})`);
  });
  stream.on('gap', onGap);
  for (const type of ['execution.status', 'execution.progress', 'execution.log', 'execution.output', 'execution.error']) {
    stream.on(type, (envelope) => onEvent(type, envelope));
  }
}

function onGap(gap) {
  state.resuming = false;
  clearTimeout(state.resumeTimer);
  showNotice(
    'gap',
    `Some updates were missed: while this page was disconnected the gateway lost the history of ${gap.channel || 'the channel'}` +
      ' (for example after a restart on the in-memory bus). What follows is live again, but the view may be incomplete.',
  );
}

function onEvent(type, envelope) {
  resumeConfirmed();
  const data = envelope.data || {};
  if (data.executionId && data.executionId !== state.executionId) startExecution(data.executionId);
  state.events += 1;
  $('event-count').textContent = `${state.events} event${state.events === 1 ? '' : 's'}`;
  switch (type) {
    case 'execution.status':
      return renderStatus(data.status, data.message);
    case 'execution.progress':
      return renderProgress(data);
    case 'execution.log':
      return appendLog(envelope, data.level, data.message, data.agent);
    case 'execution.output':
      return renderOutput(data);
    case 'execution.error':
      renderStatus('failed', `${data.error.code}: ${data.error.message}`);
      return appendLog(envelope, 'error', `${data.error.code}: ${data.error.message}`);
  }
}

function startExecution(executionId) {
  state.executionId = executionId;
  state.agents.clear();
  $('execution-id').textContent = executionId;
  $('agents').innerHTML = '<li class="empty">No progress yet.</li>';
  $('log').innerHTML = '';
  $('output').textContent = '';
  $('output-state').textContent = 'No output yet.';
  renderStatus(null, '');
}

function renderStatus(status, message) {
  const el = $('status');
  el.className = `status ${status || 'none'}`;
  el.textContent = status || '—';
  $('status-message').textContent = message || '';
}

function renderProgress(data) {
  const name = data.agent || 'execution';
  let row = state.agents.get(name);
  if (!row) {
    const list = $('agents');
    list.querySelector('.empty')?.remove();
    row = document.createElement('li');
    row.dataset.agent = name;
    row.innerHTML = '<div class="agent-head"><strong></strong><span class="task"></span><span class="pct"></span></div>' +
      '<div class="bar"><div class="fill"></div></div><div class="step"></div>';
    row.querySelector('strong').textContent = name;
    list.appendChild(row);
    state.agents.set(name, row);
  }
  const percent = typeof data.percent === 'number' ? data.percent : data.totalSteps ? (100 * data.step) / data.totalSteps : 0;
  row.querySelector('.task').textContent = data.task || '';
  row.querySelector('.pct').textContent = `${Math.round(percent)}%`;
  row.querySelector('.fill').style.width = `${Math.min(100, Math.max(0, percent))}%`;
  row.classList.toggle('done', percent >= 100);
  row.querySelector('.step').textContent = `step ${data.step}${data.totalSteps ? ` of ${data.totalSteps}` : ''}${data.message ? ` — ${data.message}` : ''}`;
}

function appendLog(envelope, level, message, agent) {
  const log = $('log');
  const line = document.createElement('li');
  line.className = `level-${level}`;
  line.dataset.id = envelope.id;
  const time = document.createElement('time');
  time.textContent = new Date(envelope.time).toLocaleTimeString([], { hour12: false });
  const tag = document.createElement('span');
  tag.className = 'level';
  tag.textContent = level;
  const text = document.createElement('span');
  text.className = 'message';
  text.textContent = message;
  if (agent) line.dataset.agent = agent;
  line.append(time, tag, text);
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
  log.appendChild(line);
  while (log.children.length > MAX_LOG_LINES) log.firstElementChild.remove();
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function renderOutput(data) {
  const text = typeof data.output === 'string' ? data.output : JSON.stringify(data.output, null, 2);
  $('output').textContent = text;
  $('output-state').textContent = data.final ? 'Final output' : 'Draft (the crew is still writing)';
  $('output-state').className = `output-state ${data.final ? 'final' : 'draft'}`;
}

start();
