// The page: sends intents to the server over one WebSocket and draws what it sends back.
// The server owns the game (alphago/play/web/session.py); nothing here decides a rule.
import { renderBoard } from "./board.js";
import { renderGraph } from "./graph.js";

const $ = id => document.getElementById(id);
const ui = {hello: null, state: null, analysis: null, thinking: false, thinkingMove: false, pvFor: null};
const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);

function send(msg) {
  $("error").textContent = "";
  ws.send(JSON.stringify(msg));
}

ws.addEventListener("message", ev => {
  const msg = JSON.parse(ev.data);
  if (msg.type === "hello") return hello(msg);
  if (msg.type === "state") {
    ui.state = msg;
    if (ui.analysis && ui.analysis.position !== msg.cursor) ui.analysis = null;
  } else if (msg.type === "analysis") {
    ui.analysis = msg;
  } else if (msg.type === "thinking") {
    ui.thinking = msg.on; ui.thinkingMove = msg.on && msg.move;
  } else if (msg.type === "sgf") {
    return download(msg.filename, msg.sgf);
  } else if (msg.type === "error") {
    $("error").textContent = msg.message;
  }
  render();
});
ws.addEventListener("close", () => { $("status").textContent = "Disconnected from the server: reload the page."; });

function hello(msg) {
  ui.hello = msg;
  const sel = $("engine");
  sel.replaceChildren(...msg.engines.map(e => new Option(`${e.name} (${e.size}x${e.size})`, e.name)));
  sel.closest("label").hidden = msg.engines.length < 2;
  $("budget").max = msg.limits.maxSims;
  $("budget").value = msg.defaultSims;
  engineDefaults();
}

function engineDefaults() {
  const e = ui.hello.engines.find(e => e.name === $("engine").value);
  $("komi").value = e.komi;
}

function download(name, text) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], {type: "application/x-go-sgf"}));
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

const pct = x => `${(100 * x).toFixed(1)}%`;
const signed = x => (x >= 0 ? "+" : "") + x.toFixed(1);

function statusText(s) {
  if (ui.thinkingMove) return `${s.engine} is thinking…`;
  if (s.reviewing) return `Reviewing: move ${s.cursor} of ${s.moves.length}, ${s.to_play} to play` +
    (s.to_play === s.human ? " (play a stone, or 'play from here')" : " ('play from here' lets the engine move)");
  if (s.over) {
    const t = s.territory;
    const count = t ? ` (${t.why}). Tromp-Taylor area: Black ${t.black_area}, White ${t.white_area} + komi ${s.komi}` : "";
    return `Game over${count}. Result: ${s.result}`;
  }
  return s.to_play === s.human ? `Your move (${s.human})` : `${s.engine} to move`;
}

function render() {
  const s = ui.state;
  if (!s) return;
  const showAnalysis = ui.analysis && (ui.thinking || $("analyse").checked) && ui.analysis.position === s.cursor;
  const a = showAnalysis ? ui.analysis : null;
  renderBoard($("board-wrap"), {
    size: s.size, stones: s.stones, last: s.last, territory: s.territory, analysis: a,
    ownership: a && s.heads.ownership ? a.ownership : null, pvFor: a ? ui.pvFor : null,
  }, {
    click: v => { if (!ui.thinkingMove) send({type: "play", vertex: v}); },
    hover: showLine,
  });
  $("status").textContent = statusText(s);
  const busy = ui.thinkingMove;
  for (const id of ["pass", "undo", "resign"]) $(id).disabled = busy || (s.over && id !== "undo" && !s.reviewing);
  $("resume").hidden = !s.reviewing;
  renderAnalysis(a, s);
  renderGraph($("graph"), s.evaluations, s.moves.length, s.cursor, p => send({type: "goto", position: p}));
  const moves = $("moves");
  moves.replaceChildren(...s.moves.map((m, i) => {
    const li = document.createElement("li");
    li.textContent = `${m.color === "black" ? "B" : "W"} ${m.vertex}`;
    li.dataset.move = m.vertex; li.dataset.player = m.color;  // not data-vertex: that marks stones
    if (i + 1 === s.cursor) li.className = "current";
    li.addEventListener("click", () => send({type: "goto", position: i + 1}));
    return li;
  }));
}

function showLine(vertex) {  // redraw only on a change: a redraw puts new elements under the pointer
  if (ui.pvFor === vertex) return;
  ui.pvFor = vertex;
  if (ui.analysis) render();
}

function renderAnalysis(a, s) {
  $("lead-col").hidden = !s.heads.score;
  const body = $("candidates").tBodies[0];
  if (!a) {
    body.replaceChildren();
    const e = s.evaluations.find(e => e.position === s.cursor);
    $("summary").textContent = e ? `Black win rate ${pct(e.winrate)} (${e.visits} visits)` : "";
    return;
  }
  const ev = a.evaluation;
  $("summary").textContent = `${a.final ? "" : "searching… "}Black win rate ${pct(ev.winrate)}` +
    (ev.scoreLead !== null ? `, Black leads by ${signed(ev.scoreLead)}` : "") + ` (${a.visits} visits)`;
  const legend = document.createElement("div");
  legend.className = "hint";
  legend.textContent = `Candidates for ${a.toPlay}: win rate for ${a.toPlay} over visits; red: the net's policy` +
    (s.heads.ownership ? "; shading: expected owner" : "") + ". Hover a move for its line.";
  $("summary").appendChild(legend);
  body.replaceChildren(...a.candidates.map(c => {
    const tr = document.createElement("tr");
    const cells = [c.move, c.visits, pct(c.winrate), c.scoreLead === null ? "" : signed(c.scoreLead), pct(c.prior)];
    cells.forEach((t, i) => { const td = tr.insertCell(); td.textContent = t; if (i === 3) td.hidden = !s.heads.score; });
    tr.title = `line: ${c.pv.join(" ")}`;
    tr.addEventListener("mouseenter", () => showLine(c.move));
    tr.addEventListener("mouseleave", () => showLine(null));
    return tr;
  }));
}

$("engine").addEventListener("change", engineDefaults);
$("budget-kind").addEventListener("change", ev => {  // the server's bounds for either kind of budget
  const bySeconds = ev.target.value === "seconds", lim = ui.hello.limits;
  $("budget").max = bySeconds ? lim.maxSeconds : lim.maxSims;
  $("budget").min = bySeconds ? 0.05 : 1;
  $("budget").value = bySeconds ? Math.min(2, lim.maxSeconds) : ui.hello.defaultSims;
});
$("settings").addEventListener("submit", ev => {
  ev.preventDefault();
  const budget = Number($("budget").value), bySeconds = $("budget-kind").value === "seconds";
  send({type: "new", engine: $("engine").value, color: $("color").value, komi: Number($("komi").value),
        handicap: Number($("handicap").value), sims: bySeconds ? null : budget, seconds: bySeconds ? budget : null});
});
$("pass").addEventListener("click", () => send({type: "pass"}));
$("undo").addEventListener("click", () => send({type: "undo"}));
$("resign").addEventListener("click", () => send({type: "resign"}));
$("resume").addEventListener("click", () => send({type: "resume"}));
$("save").addEventListener("click", () => send({type: "save_sgf"}));
$("analyse").addEventListener("change", ev => { send({type: "analyse", on: ev.target.checked}); render(); });
$("load").addEventListener("change", async ev => {
  const file = ev.target.files[0];
  if (file) send({type: "load_sgf", sgf: await file.text()});
  ev.target.value = "";
});
