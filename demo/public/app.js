// The demo page: follows one execution channel with the browser's own EventSource.
// - The token comes from /demo/token (short-lived, subscribe-only); the page mints nothing.
// - EventSource reconnects by itself after a dropped connection and resumes with Last-Event-ID.
// - When the gateway refuses the stream (token expired or unknown, e.g. after a demo restart with a
//   new secret), the page fetches a new token and reopens with its last cursor as `lastEventId`.
// - `gateway.gap` means events were lost (history no longer reaches back): the page says so.
// Events are shown as they arrive, duplicates included: nothing is hidden or invented.
'use strict';

const EVENT_TYPES = ['execution.status', 'execution.progress', 'execution.log', 'execution.output', 'execution.error'];
const MAX_LOG_LINES = 500;

const $ = (id) => document.getElementById(id);
const state = {
  source: null,
  /** The SSE id (resume cursor) of the last event received. */
  lastEventId: '',
  executionId: null,
  events: 0,
  retryDelayMs: 1000,
  reopenTimer: undefined,
  agents: new Map(),
  /** Set when the stream dropped; cleared once the page knows whether the resume was complete. */
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
  showNotice('resumed', 'Reconnected: the stream resumed right after the last event this page had (Last-Event-ID), so nothing was missed.');
}

async function fetchGrant() {
  const response = await fetch('token', { cache: 'no-store' });
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
  return response.json();
}

async function connect() {
  clearTimeout(state.reopenTimer);
  if (state.source) state.source.close();
  setConnection('connecting', 'connecting…');
  let grant;
  try {
    grant = await fetchGrant();
  } catch {
    return retryLater();
  }
  $('channel').textContent = grant.channel;
  const url = new URL(grant.streamUrl, location.href);
  url.searchParams.append('channel', grant.channel);
  url.searchParams.set('access_token', grant.token);
  // A new EventSource starts without Last-Event-ID: resume from the last cursor explicitly, or,
  // on the first visit, from the start of what the gateway retained (the current execution so far).
  url.searchParams.set('lastEventId', state.lastEventId || 'earliest');
  const source = new EventSource(url);
  state.source = source;
  source.addEventListener('open', () => {
    state.retryDelayMs = 1000;
    setConnection('live', 'live');
    if (state.resuming) state.resumeTimer = setTimeout(resumeConfirmed, 1500);
  });
  source.addEventListener('error', () => {
    if (state.lastEventId) state.resuming = true;
    if (source.readyState === EventSource.CONNECTING) {
      // The connection dropped: EventSource is reconnecting by itself, with Last-Event-ID.
      setConnection('reconnecting', 'reconnecting…');
    } else {
      // The gateway refused the stream (or is unreachable for good): start over with a new token.
      source.close();
      retryLater();
    }
  });
  for (const type of EVENT_TYPES) source.addEventListener(type, (event) => onEvent(type, event));
  source.addEventListener('gateway.gap', (event) => onGap(event));
  source.addEventListener('gateway.token_expired', () => {
    source.close();
    setConnection('connecting', 'refreshing the token…');
    connect();
  });
}

function retryLater() {
  setConnection('offline', 'disconnected — retrying');
  const delay = state.retryDelayMs * (0.75 + Math.random() * 0.5);
  state.retryDelayMs = Math.min(state.retryDelayMs * 2, 30000);
  state.reopenTimer = setTimeout(connect, delay);
}

function onGap(event) {
  if (event.lastEventId) state.lastEventId = event.lastEventId;
  state.resuming = false;
  clearTimeout(state.resumeTimer);
  const gap = JSON.parse(event.data).data || {};
  showNotice(
    'gap',
    `Some updates were missed: while this page was disconnected the gateway lost the history of ${gap.channel || 'the channel'}` +
      ' (for example after a restart on the in-memory bus). What follows is live again, but the view may be incomplete.',
  );
}

function onEvent(type, event) {
  if (event.lastEventId) state.lastEventId = event.lastEventId;
  resumeConfirmed();
  const envelope = JSON.parse(event.data);
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

connect();
