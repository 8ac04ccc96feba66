// The agent desk in the browser: sign-in, the desk websocket (WS /agent/ws), the offer with
// the caller's context, the call with its audio bridge (desk-audio.js), transfer, wrap-up and
// the callbacks of the agent's departments. Everything the caller said or keyed is put on the
// page with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const STATUS_NAMES = { available: "空闲", busy: "通话中", "wrap-up": "话后整理", offline: "离线" };
const CALLBACK_STATUS = { pending: "待处理", taken: "处理中", done: "已完成", failed: "失败" };
const OUTCOMES = { "done": "已回电", "no-answer": "无人接听", "failed": "无法联系" };
const REASONS = { caller_request: "来电者要求转人工", intent: "该业务需人工办理",
                  dtmf: "来电者按键转人工", no_match: "机器人未能听懂",
                  routing: "按问题归属转接", caller_choice: "来电者选择的部门",
                  choice_none: "来电者说不属于所列部门", choice_unclear: "未能确定所属部门" };
const INTENTS = { human_agent: "转人工" };
const WITHDRAWN = { rejected: "已拒接", timeout: "超时未接", "agent-left": "坐席离开",
                    "caller-left": "来电者已挂机" };

// What the tests read: how much call audio went each way, and the desk's state.
const stats = window.deskStats = { receivedAudioBytes: 0, sentAudioBytes: 0, state: "idle",
                                   micStarted: false, offers: 0 };

let ws = null;
let offer = null;
let countdownTimer = null;
let callTimer = null;
let audio = null;
// On a cluster the caller may be on another worker: `connected` then names its audio socket.
let audioWs = null;
let departments = [];
let outbound = { available: false, reason: "" };  // GET /agent/outbound: may 回拨 dial out?

function say(text, isError = false) {
  const box = $("message");
  box.textContent = text;
  box.className = isError ? "error" : "muted";
}

function setText(id, value) { $(id).textContent = value == null || value === "" ? "—" : String(value); }

function fillList(id, items) {
  const list = $(id);
  list.replaceChildren();
  for (const item of items) {
    const li = document.createElement("li");
    li.textContent = item;
    list.appendChild(li);
  }
  if (!items.length) {
    const li = document.createElement("li");
    li.textContent = "无";
    li.className = "muted";
    list.appendChild(li);
  }
}

function departmentName(id) {
  const found = departments.find((d) => d.department === id);
  return found ? `${found.name}（${id}）` : id;
}

// ---- sign-in ------------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  $("sign-in-error").textContent = "";
  const body = new URLSearchParams({ key: $("key").value });
  const response = await fetch("/agent/sign-in", { method: "POST", body,
                                                    credentials: "same-origin" });
  if (response.ok) { window.location.reload(); return; }
  let detail = `登录失败（${response.status}）`;
  try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
  $("sign-in-error").textContent = typeof detail === "string" ? detail : "登录失败";
}

async function signOut() {
  if (ws) ws.close();
  await fetch("/agent/sign-out", { method: "POST", credentials: "same-origin" });
  window.location.reload();
}

// ---- the desk socket ----------------------------------------------------------------------

function connect() {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  ws = new WebSocket(`${scheme}://${window.location.host}/agent/ws`);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => { setText("link", "已连接"); };
  ws.onclose = (event) => {
    setText("link", "已断开");
    stopAudio();
    if (event.code === 1008) { say("密钥已失效，请重新登录", true); return; }
    if (event.reason !== "signed in elsewhere") setTimeout(connect, 3000);
    else say("您已在其他地方登录", true);
  };
  ws.onmessage = (event) => {
    if (typeof event.data !== "string") { callerAudio(event.data); return; }
    handle(JSON.parse(event.data));
  };
}

function send(message) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

function handle(m) {
  switch (m.type) {
    case "welcome":
      setText("agent-name", m.name || m.agent_id);
      setText("agent-id", m.agent_id);
      setText("agent-skills", (m.skills || []).map(departmentName).join("、"));
      showStatus(m.status, "");
      break;
    case "status":
      showStatus(m.status, m.reason === "set by agent" ? "" : m.reason);
      break;
    case "offer":
      showOffer(m);
      break;
    case "offer_withdrawn":
      if (offer && offer.call_id === m.call_id) hideOffer();
      say(`来电已撤回：${WITHDRAWN[m.reason] || m.reason}`);
      break;
    case "connected":
      showCall(m);
      break;
    case "call_dialled":
      say("来电已转到您的电话，通话结束后自动进入话后整理");
      break;
    case "call_ended":
      endCall(m);
      break;
    case "error":
      say(`错误：${m.message}`, true);
      break;
    case "closed":
      say("您已在其他地方登录", true);
      break;
    default:
      break;
  }
}

function showStatus(status, reason) {
  stats.status = status;
  if ([...$("status").options].some((o) => o.value === status)) $("status").value = status;
  $("status-reason").textContent = reason ? `（${reason}）` : "";
}

// ---- the offer ----------------------------------------------------------------------------

function showOffer(m) {
  offer = m;
  stats.offers += 1;
  stats.state = "offered";
  const c = m.context || {};
  setText("offer-number", c.from_number);
  const intentName = c.intent_name || INTENTS[c.intent];
  setText("offer-intent", intentName ? `${intentName}（${c.intent}）` : (c.intent || "—"));
  setText("offer-department", c.department_name ? `${c.department_name}（${c.department || m.department}）`
                                                 : (c.department || m.department));
  setText("offer-reason", REASONS[c.reason] || c.reason);
  fillList("offer-said", c.said || []);
  fillList("offer-earlier", (c.earlier_calls || []).map((e) =>
    `${e.started_at_iso || e.started_at || ""} ${e.outcome || ""} ${e.transfer_department || ""}`.trim()));
  fillList("offer-notes", c.notes || []);
  $("offer").hidden = false;
  const expires = Date.now() + (m.expires_in_s || 0) * 1000;
  clearInterval(countdownTimer);
  const tick = () => {
    const left = Math.max(0, Math.ceil((expires - Date.now()) / 1000));
    setText("countdown", `剩余 ${left} 秒`);
    if (left <= 0) clearInterval(countdownTimer);
  };
  tick();
  countdownTimer = setInterval(tick, 250);
}

function hideOffer() {
  offer = null;
  clearInterval(countdownTimer);
  $("offer").hidden = true;
  if (stats.state === "offered") stats.state = "idle";
}

function accept() {
  if (!offer) return;
  // The audio context is made on this click: browsers start audio only after a gesture.
  prepareAudio().catch((e) => say(`音频初始化失败：${e}`, true));
  send({ type: "accept", call_id: offer.call_id });
}

function reject() {
  if (!offer) return;
  send({ type: "reject", call_id: offer.call_id });
  hideOffer();
}

// ---- the call -----------------------------------------------------------------------------

function showCall(m) {
  hideOffer();
  stats.state = "connected";
  const c = m.context || {};
  setText("call-number", c.from_number);
  setText("call-department", c.department_name || c.department);
  $("call").hidden = false;
  $("wrapup").hidden = true;
  const started = Date.now();
  clearInterval(callTimer);
  callTimer = setInterval(() => {
    const s = Math.floor((Date.now() - started) / 1000);
    setText("call-timer", `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`);
    setText("rx-seconds", (stats.receivedAudioBytes / 16000).toFixed(1));
  }, 500);
  if (m.audio_url) openAudioSocket(m.audio_url);
  startAudio().catch((e) => say(`无法开启麦克风：${e}`, true));
}

function openAudioSocket(url) {
  closeAudioSocket();
  audioWs = new WebSocket(url);
  audioWs.binaryType = "arraybuffer";
  audioWs.onmessage = (event) => {
    if (typeof event.data !== "string") callerAudio(event.data);
  };
}

function closeAudioSocket() {
  if (audioWs) { audioWs.onmessage = null; audioWs.close(); }
  audioWs = null;
}

// Microphone frames go where the caller's audio comes from.
function audioOut() { return audioWs || ws; }

function endCall(m) {
  stats.state = "wrap-up";
  clearInterval(callTimer);
  stopAudio();
  $("call").hidden = true;
  $("wrapup").hidden = false;
  say(`通话结束（${m.reason}）`);
}

function hangUp() { send({ type: "hangup" }); }

function transfer() {
  const department = $("transfer-department").value;
  if (!department) return;
  send({ type: "transfer", department, note: $("transfer-note").value });
  $("transfer-note").value = "";
}

function wrapUp() {
  send({ type: "wrapup", note: $("wrapup-note").value });
  $("wrapup-note").value = "";
  $("wrapup").hidden = true;
  stats.state = "idle";
}

// ---- audio: the AudioWorklet bridge (desk-audio.js) ---------------------------------------

async function prepareAudio() {
  if (audio) return audio;
  const context = new AudioContext();
  const ready = context.audioWorklet.addModule("/agent/static/desk-audio.js");
  audio = { context, ready, player: null, capture: null, stream: null, source: null };
  await ready;
  await context.resume();
  return audio;
}

async function startAudio() {
  const a = await prepareAudio();
  await a.ready;
  if (!a.player) {
    a.player = new AudioWorkletNode(a.context, "desk-playback", { outputChannelCount: [1] });
    a.player.connect(a.context.destination);
  }
  a.stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: false,
             channelCount: 1 } });
  a.source = a.context.createMediaStreamSource(a.stream);
  a.capture = new AudioWorkletNode(a.context, "desk-capture", { numberOfOutputs: 0 });
  a.capture.port.onmessage = (event) => {
    const out = audioOut();
    if (stats.state !== "connected" || !out || out.readyState !== WebSocket.OPEN) return;
    out.send(event.data);
    stats.sentAudioBytes += event.data.byteLength;
  };
  a.source.connect(a.capture);
  stats.micStarted = true;
  $("mic-state").textContent = "已开启";
}

function stopAudio() {
  closeAudioSocket();
  if (!audio) return;
  if (audio.source) audio.source.disconnect();
  if (audio.capture) { audio.capture.port.onmessage = null; audio.capture.disconnect(); }
  if (audio.stream) audio.stream.getTracks().forEach((t) => t.stop());
  audio.source = audio.capture = audio.stream = null;
  stats.micStarted = false;
  $("mic-state").textContent = "未开启";
}

function callerAudio(buffer) {
  stats.receivedAudioBytes += buffer.byteLength;
  if (audio && audio.player) audio.player.port.postMessage(buffer, [buffer]);
}

// ---- departments and callbacks (REST, authenticated by the same cookie) --------------------

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(typeof data.detail === "string" ? data.detail : response.status);
  return data;
}

async function loadDepartments() {
  departments = await api("GET", "/agent/departments");
  const select = $("transfer-department");
  select.replaceChildren();
  for (const d of departments) {
    const option = document.createElement("option");
    option.value = d.department;
    option.textContent = `${d.name}（${d.department}）`;
    select.appendChild(option);
  }
}

async function loadCallbacks() {
  let rows;
  try { rows = await api("GET", "/api/callbacks"); } catch (e) { say(`待回电加载失败：${e.message}`, true); return; }
  const body = $("callbacks");
  body.replaceChildren();
  $("callbacks-empty").hidden = rows.length > 0;
  const me = document.body.dataset.agentId;
  for (const cb of rows) {
    const tr = document.createElement("tr");
    if (cb.overdue) tr.className = "overdue";
    const said = (cb.context && (cb.context.message || (cb.context.said || []).join(" / "))) || "";
    const status = CALLBACK_STATUS[cb.status] || cb.status;
    const cells = [cb.number, departmentName(cb.department),
                   cb.agent_id ? `${status}（${cb.agent_id}）${cb.overdue ? " 已超时" : ""}`
                               : `${status}${cb.overdue ? " 已超时" : ""}`,
                   String(cb.attempts) + dialled(cb.dials || []), said];
    for (const value of cells) {
      const td = document.createElement("td");
      td.textContent = value;
      tr.appendChild(td);
    }
    const actions = document.createElement("td");
    const button = (label, action) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.dataset.callback = String(cb.id);
      b.dataset.action = action;
      b.addEventListener("click", () => callbackAction(cb.id, action));
      actions.appendChild(b);
    };
    if (cb.status === "pending") button("领取", "take");
    if (cb.status === "taken" && cb.agent_id === me) {
      if (outbound.available) button("回拨", "call");
      for (const [outcome, label] of Object.entries(OUTCOMES)) button(label, outcome);
    }
    tr.appendChild(actions);
    body.appendChild(tr);
  }
}

async function loadOutbound() {
  try { outbound = await api("GET", "/agent/outbound"); } catch (e) { outbound = { available: false, reason: e.message }; }
  $("outbound-hint").textContent = outbound.available
    ? "回拨：先拨打您的话机，接听后自动呼叫来电者；通话结束后请记录结果。" : outbound.reason;
}

// 回拨 through the platform: the result (Twilio's call sid, or its reason) stays on the page.
const calling = new Set();  // callbacks whose 回拨 is on its way: a double click dials once

async function callBack(id) {
  if (calling.has(id)) return;
  calling.add(id);
  const result = $("callback-result");
  result.className = "muted";
  result.textContent = "正在发起回拨…";
  try {
    const data = await api("POST", `/api/callbacks/${id}/call`);
    result.textContent = `已发起回拨，通话编号 ${data.call.sid}（${data.call.status}），请接听您的话机`;
    result.dataset.sid = data.call.sid;
  } catch (e) {
    result.className = "error";
    result.textContent = e.message.startsWith("回拨失败") ? e.message : `回拨失败：${e.message}`;
    delete result.dataset.sid;
  } finally {
    calling.delete(id);
  }
  loadCallbacks();
}

// The call backs placed through the platform, so they show after a reload too.
function dialled(dials) {
  const placed = dials.filter((d) => d.sid);
  return placed.length ? `（已回拨 ${placed.length} 次，最近 ${placed[placed.length - 1].sid}）` : "";
}

async function callbackAction(id, action) {
  if (action === "call") { await callBack(id); return; }
  try {
    if (action === "take") await api("POST", `/api/callbacks/${id}/take`);
    else await api("POST", `/api/callbacks/${id}/outcome`, { outcome: action, note: "" });
    say(action === "take" ? "已领取回电" : `已记录：${OUTCOMES[action]}`);
  } catch (e) {
    say(`操作失败：${e.message}`, true);
  }
  loadCallbacks();
}

// ---- start --------------------------------------------------------------------------------

function start() {
  if (document.body.dataset.state !== "desk") {
    $("sign-in-form").addEventListener("submit", signIn);
    return;
  }
  $("sign-out").addEventListener("click", signOut);
  $("status").addEventListener("change", () => send({ type: "status", status: $("status").value }));
  $("accept").addEventListener("click", accept);
  $("reject").addEventListener("click", reject);
  $("hangup").addEventListener("click", hangUp);
  $("transfer").addEventListener("click", transfer);
  $("wrapup-done").addEventListener("click", wrapUp);
  $("callbacks-refresh").addEventListener("click", loadCallbacks);
  loadDepartments().catch((e) => say(`部门列表加载失败：${e.message}`, true)).finally(connect);
  loadOutbound().finally(loadCallbacks);
  setInterval(loadCallbacks, 15000);
  setInterval(() => send({ type: "ping" }), 20000);
}

document.addEventListener("DOMContentLoaded", start);
