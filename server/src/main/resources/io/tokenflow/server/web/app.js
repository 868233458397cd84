// tokenflow chat page. Plain JavaScript, no dependencies: it uses the server's OpenAI-compatible API like any client.
// The conversation lives in this page only (sent whole with every request); the API key is kept in memory only.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const ui = {
    transcript: $('transcript'), empty: $('empty-note'), form: $('composer'), prompt: $('prompt'),
    send: $('send'), stop: $('stop'), clear: $('clear'), model: $('model'), health: $('health'),
    maxTokens: $('max-tokens'), temperature: $('temperature'), speculation: $('speculation'),
    kv: $('kv-compression'), sparse: $('sparse-attention'), system: $('system-prompt'), extra: $('extra'),
    apiKey: $('api-key'),
  };

  const HEALTH_POLL_MS = 5000;
  let history = [];        // [{role, content}] of finished turns, sent with every request
  let controller = null;   // AbortController of the running request, null when idle
  let modelId = null;
  let epoch = 0;           // bumped by "New chat", so a reply still ending then does not join the new conversation

  // ------------------------------------------------------------------ small DOM helpers

  function node(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function nearBottom() {
    const t = ui.transcript;
    return t.scrollHeight - t.scrollTop - t.clientHeight < 48;
  }

  function scrollDown() { ui.transcript.scrollTop = ui.transcript.scrollHeight; }

  function addMessage(role, text) {
    ui.empty.hidden = true;
    const m = node('article', 'message ' + role);
    m.append(node('div', 'who', role === 'user' ? 'You' : 'Assistant'));
    const c = node('div', 'content');
    c.append(document.createTextNode(text));
    m.append(c);
    ui.transcript.append(m);
    scrollDown();
    return m;
  }

  function authHeaders() {
    const key = ui.apiKey.value.trim();
    return key ? { Authorization: 'Bearer ' + key } : {};
  }

  function fmt(v) {
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
    if (v === null || v === undefined) return '—';
    return String(v);
  }

  // A JSON object as a key/value list; nested objects become nested lists (speculation, kv_compression, ...), after
  // the plain values. Each dt/dd pair sits in a div (allowed in a dl) so that pairs wrap as units.
  function kvList(obj) {
    const dl = node('dl', 'kv');
    const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
    const entries = Object.entries(obj);
    for (const [k, v] of [...entries.filter((e) => !isObject(e[1])), ...entries.filter((e) => isObject(e[1]))]) {
      const pair = node('div', isObject(v) ? 'pair group' : 'pair');
      const dd = node('dd');
      dd.dataset.key = k;
      if (isObject(v)) dd.append(kvList(v));
      else dd.textContent = Array.isArray(v) ? v.map(fmt).join(', ') : fmt(v);
      pair.append(node('dt', null, k), dd);
      dl.append(pair);
    }
    return dl;
  }

  // ------------------------------------------------------------------ server status and model

  async function pollHealth() {
    let status = 'down';
    try {
      const res = await fetch('health', { cache: 'no-store' });
      const j = await res.json().catch(() => ({}));
      status = typeof j.status === 'string' ? j.status : (res.ok ? 'ok' : 'HTTP ' + res.status);
    } catch (e) {
      status = 'down';
    }
    ui.health.textContent = status === 'down' ? 'unreachable' : status;
    ui.health.dataset.status = status;
    if (status === 'ok' && modelId === null) loadModel();
  }

  async function loadModel() {
    try {
      const res = await fetch('v1/models', { headers: authHeaders(), cache: 'no-store' });
      if (res.status === 401) { modelId = null; ui.model.textContent = 'API key needed'; return; }
      if (!res.ok) { modelId = null; ui.model.textContent = 'unavailable (HTTP ' + res.status + ')'; return; }
      const j = await res.json();
      const first = j && Array.isArray(j.data) && j.data[0];
      modelId = first && typeof first.id === 'string' ? first.id : null;
      ui.model.textContent = modelId ?? 'none listed';
    } catch (e) {
      modelId = null;
      ui.model.textContent = 'unreachable';
    }
  }

  // ------------------------------------------------------------------ the request

  // The body of the next request, or an Error to show instead of sending.
  function requestBody(userText) {
    let extra = {};
    const extraText = ui.extra.value.trim();
    if (extraText) {
      try {
        extra = JSON.parse(extraText);
      } catch (e) {
        return new Error('Extra request fields are not valid JSON: ' + e.message);
      }
      if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) {
        return new Error('Extra request fields must be a JSON object, like {"seed": 1}');
      }
    }
    const messages = [];
    const system = ui.system.value.trim();
    if (system) messages.push({ role: 'system', content: system });
    messages.push(...history, { role: 'user', content: userText });
    // the page owns messages and streaming; the fields above override the extra JSON when they are set
    const body = { ...extra, messages, stream: true, stream_options: { include_usage: true } };
    if (modelId && body.model === undefined) body.model = modelId;
    // number inputs: empty means "server default"; 0 is a value (temperature 0 = greedy), so test for NaN, not falsiness
    const maxTokens = ui.maxTokens.valueAsNumber;
    if (!Number.isNaN(maxTokens)) body.max_tokens = maxTokens;
    const temperature = ui.temperature.valueAsNumber;
    if (!Number.isNaN(temperature)) body.temperature = temperature;
    for (const [field, input] of [['speculation', ui.speculation], ['kv_compression', ui.kv], ['sparse_attention', ui.sparse]]) {
      const v = input.value.trim();
      if (v) body[field] = v; // empty: the server's default (its command line), so the page does not override it
    }
    return body;
  }

  // An HTTP error's message: OpenAI's {"error": {"message", "param"}} when the body has it, else the raw text.
  async function errorText(res) {
    const raw = await res.text().catch(() => '');
    let msg = raw.trim() || res.statusText;
    try {
      const j = JSON.parse(raw);
      if (j && j.error) msg = typeof j.error === 'string' ? j.error : (j.error.message || JSON.stringify(j.error));
    } catch (e) { /* not JSON: keep the text */ }
    return 'HTTP ' + res.status + ': ' + msg;
  }

  // Reads a text/event-stream body and calls onData(dataString) per event. Comment lines (": waiting", which the
  // server writes while a request queues) and other fields are ignored.
  async function readEvents(body, onData) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    let data = [];
    const line = (l) => {
      if (l.endsWith('\r')) l = l.slice(0, -1);
      if (l === '') {
        if (data.length) onData(data.join('\n'));
        data = [];
      } else if (l.startsWith('data:')) {
        data.push(l.slice(l.startsWith('data: ') ? 6 : 5));
      }
    };
    for (;;) {
      const { value, done } = await reader.read();
      buf += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        line(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      if (done) break;
    }
    if (buf) line(buf);
    if (data.length) onData(data.join('\n'));
  }

  // One streamed reply into the element `reply`. Resolves to {status: ok|error|stopped, text}.
  async function stream(body, reply) {
    const content = reply.querySelector('.content');
    const textNode = content.firstChild;
    const started = performance.now();
    let firstAt = null;
    let chunks = 0;
    let text = '';
    let usage = null;
    let stats = null;
    let finish = null;
    let sawDone = false;
    let streamError = null;
    let status = 'ok';
    let failure = null;
    controller = new AbortController();
    try {
      const res = await fetch('v1/chat/completions', {
        method: 'POST', signal: controller.signal, cache: 'no-store',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', ...authHeaders() },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(await errorText(res));
      if (!(res.headers.get('Content-Type') || '').includes('text/event-stream')) {
        throw new Error('expected an event stream, got ' + (res.headers.get('Content-Type') || 'no content type'));
      }
      await readEvents(res.body, (data) => {
        if (data === '[DONE]') { sawDone = true; return; }
        let j;
        try { j = JSON.parse(data); } catch (e) { streamError = 'unreadable event: ' + data.slice(0, 200); return; }
        if (j.error) { // an error inside the stream (timeout, shutdown, failure): the status line was already 200
          streamError = typeof j.error === 'string' ? j.error : (j.error.message || JSON.stringify(j.error));
          return;
        }
        const choice = Array.isArray(j.choices) ? j.choices[0] : null;
        const piece = choice && choice.delta && typeof choice.delta.content === 'string' ? choice.delta.content : '';
        if (piece) {
          if (firstAt === null) firstAt = performance.now();
          const stick = nearBottom();
          textNode.appendData(piece);
          text += piece;
          chunks++;
          if (stick) scrollDown();
        }
        if (choice && choice.finish_reason) finish = choice.finish_reason;
        if (j.usage) usage = j.usage;
        if (j.tokenflow) stats = j.tokenflow;
      });
      if (streamError) { status = 'error'; failure = streamError; }
      else if (!sawDone) { status = 'error'; failure = 'the stream ended before [DONE] (connection lost?)'; }
    } catch (e) {
      if (e && e.name === 'AbortError') status = 'stopped';
      else { status = 'error'; failure = e && e.message ? e.message : String(e); }
    } finally {
      controller = null;
    }
    const ended = performance.now();
    renderEnd(reply, { status, failure, text, usage, stats, finish, chunks, started, firstAt, ended });
    return { status, text };
  }

  function renderEnd(reply, r) {
    const stick = nearBottom();
    reply.dataset.status = r.status;
    if (r.status === 'error') {
      reply.classList.add('error');
      const e = node('div', 'error-text', r.failure);
      e.setAttribute('role', 'alert');
      reply.append(e);
    } else if (r.status === 'stopped') {
      reply.append(node('div', 'note', 'Stopped: the request was cancelled after ' + r.chunks + ' chunks.'));
    }
    if (r.stats || r.usage) reply.append(statsBlock(r));
    if (stick) scrollDown();
    reply.dataset.done = 'true'; // last: the browser test waits for this
  }

  function statsBlock(r) {
    const box = node('section', 'stats');
    box.setAttribute('aria-label', 'Reply statistics');
    const tf = r.stats || {};
    const u = r.usage || {};
    const head = node('div', 'headline');
    const part = (cls, text) => { const s = node('span', cls, text); head.append(s); return s; };
    if (u.completion_tokens !== undefined) part('tokens', fmt(u.completion_tokens) + ' tokens');
    if (typeof tf.generation_tokens_per_second === 'number') {
      head.append(' · ');
      part('tps', tf.generation_tokens_per_second.toFixed(1));
      head.append(' tok/s');
    } else if (r.firstAt !== null && r.ended > r.firstAt && r.chunks > 1) {
      head.append(' · ');
      part('tps client', ((r.chunks - 1) / ((r.ended - r.firstAt) / 1000)).toFixed(1));
      head.append(' chunks/s (measured here)');
    }
    if (typeof tf.ttft_ms === 'number') part('ttft', ' · first token ' + tf.ttft_ms.toFixed(1) + ' ms');
    if (tf.lane) part('lane', ' · ' + tf.lane + ' lane');
    if (r.finish) part('finish', ' · finish: ' + r.finish);
    box.append(head);
    const figures = node('details', 'figures');
    figures.open = true;
    figures.append(node('summary', null, 'figures'));
    const all = {};
    if (r.stats) Object.assign(all, r.stats);
    if (r.usage) all.usage = r.usage;
    all.client_ms = Math.round(r.ended - r.started); // what this browser saw, request to last event
    figures.append(kvList(all));
    box.append(figures);
    return box;
  }

  // ------------------------------------------------------------------ user actions

  function setBusy(busy) {
    ui.send.disabled = busy;
    ui.stop.disabled = !busy;
    ui.transcript.setAttribute('aria-busy', busy ? 'true' : 'false');
  }

  async function send() {
    if (controller) return; // one request at a time
    const text = ui.prompt.value;
    if (!text.trim()) { ui.prompt.focus(); return; }
    const body = requestBody(text);
    if (body instanceof Error) {
      const r = addMessage('assistant reply', '');
      renderEnd(r, { status: 'error', failure: body.message });
      ui.extra.focus();
      return;
    }
    const user = addMessage('user', text);
    const reply = addMessage('assistant reply', '');
    reply.dataset.done = 'false';
    ui.prompt.value = '';
    setBusy(true);
    const started = epoch;
    const result = await stream(body, reply);
    setBusy(false);
    if (started !== epoch) return;
    if (result.status === 'error' || (result.status === 'stopped' && result.text === '')) {
      // not part of the conversation: leave it out of the next request, and give the text back for a retry
      user.classList.add('unsent');
      if (!ui.prompt.value) ui.prompt.value = text;
    } else {
      history.push({ role: 'user', content: text }, { role: 'assistant', content: result.text });
    }
    ui.prompt.focus();
  }

  function stop() {
    if (controller) controller.abort(); // closes the connection: the server cancels the request at its next write
  }

  function newChat() {
    stop();
    history = [];
    epoch++;
    for (const m of [...ui.transcript.querySelectorAll('.message')]) m.remove();
    ui.empty.hidden = false;
    ui.prompt.focus();
  }

  ui.form.addEventListener('submit', (e) => { e.preventDefault(); send(); });
  ui.prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
    else if (e.key === 'Escape' && controller) { e.preventDefault(); stop(); }
  });
  ui.stop.addEventListener('click', stop);
  ui.clear.addEventListener('click', newChat);
  ui.apiKey.addEventListener('change', loadModel);

  setBusy(false);
  loadModel();  // says "API key needed" at once when the server wants one
  pollHealth(); // and loads the name again once the server is up, if it was not ready yet
  setInterval(pollHealth, HEALTH_POLL_MS);
  ui.prompt.focus();
})();
