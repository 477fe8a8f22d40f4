// Black's win rate (and score lead, when the net has a score head) over the moves, as SVG.
// A click goes to the nearest position (the server shows it; "play from here" resumes).
const NS = "http://www.w3.org/2000/svg";
const W = 480, H = 150, PAD = 14;

function el(name, attrs = {}, parent = null) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

// evaluations: [{position, winrate, scoreLead}], moves: total moves, cursor: position shown
export function renderGraph(container, evaluations, moves, cursor, onGoto) {
  const last = Math.max(moves, 1);
  const x = p => PAD + (W - 2 * PAD) * p / last;
  const svg = el("svg", {viewBox: `0 0 ${W} ${H}`, "aria-label": "Black's win rate by move"});
  el("rect", {x: PAD, y: PAD, width: W - 2 * PAD, height: H - 2 * PAD, fill: "#fff", stroke: "#ccc"}, svg);
  el("line", {x1: PAD, x2: W - PAD, y1: H / 2, y2: H / 2, stroke: "#bbb", "stroke-dasharray": "4 3"}, svg);
  const yWin = w => H - PAD - (H - 2 * PAD) * w;
  const pts = evaluations.filter(e => e.position <= moves);
  if (pts.length) {
    el("polyline", {points: pts.map(e => `${x(e.position)},${yWin(e.winrate)}`).join(" "), fill: "none",
                    stroke: "#2a6fdb", "stroke-width": 2}, svg);
    const leads = pts.filter(e => e.scoreLead !== null);
    if (leads.length) {
      const top = Math.max(1, ...leads.map(e => Math.abs(e.scoreLead)));
      const yLead = s => H / 2 - (H / 2 - PAD) * s / top;
      el("polyline", {points: leads.map(e => `${x(e.position)},${yLead(e.scoreLead)}`).join(" "), fill: "none",
                      stroke: "#d35400", "stroke-width": 1.5, "stroke-dasharray": "5 3"}, svg);
      el("text", {x: W - PAD - 2, y: PAD + 12, "text-anchor": "end", "font-size": 11, fill: "#d35400"},
         svg).textContent = `score lead (±${top.toFixed(1)})`;
    }
    for (const e of pts) {
      el("circle", {cx: x(e.position), cy: yWin(e.winrate), r: 3, fill: "#2a6fdb", "data-position": e.position}, svg);
    }
  }
  el("line", {x1: x(cursor), x2: x(cursor), y1: PAD, y2: H - PAD, stroke: "#e0301e", "stroke-width": 1.5}, svg);
  el("text", {x: PAD + 3, y: PAD + 12, "font-size": 11, fill: "#555"}, svg).textContent = "Black 100%";
  el("text", {x: PAD + 3, y: H - PAD - 4, "font-size": 11, fill: "#555"}, svg).textContent = "White 100%";
  svg.addEventListener("click", ev => {
    const box = svg.getBoundingClientRect();
    const px = (ev.clientX - box.left) * W / box.width;
    const p = Math.round((px - PAD) / (W - 2 * PAD) * last);
    onGoto(Math.min(moves, Math.max(0, p)));
  });
  container.replaceChildren(svg);
}
