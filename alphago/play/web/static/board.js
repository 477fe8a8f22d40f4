// The Go board as SVG. Drawn afresh from the server's state on every change (small boards: cheap).
// Marked for tests and assistive tools: the board has data-testid="board" and data-size, every
// stone data-vertex (GTP, e.g. "C3") and data-color ("black"/"white"); every point is a button-like
// target with data-point and an aria-label.
const NS = "http://www.w3.org/2000/svg";
export const LETTERS = "ABCDEFGHJKLMNOPQRST";
const CELL = 40, MARGIN = 34;

function el(name, attrs = {}, parent = null) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

export function vertexOf(col, row) { return LETTERS[col] + (row + 1); }

export function colRow(vertex) {  // GTP vertex -> [col, row], row 0 at the bottom; null for pass
  if (!vertex || vertex.toLowerCase() === "pass") return null;
  return [LETTERS.indexOf(vertex[0].toUpperCase()), parseInt(vertex.slice(1), 10) - 1];
}

function starPoints(n) {
  if (n < 7) return n === 5 ? [[2, 2]] : [];
  const e = n < 13 ? 2 : 3, m = (n - 1) / 2, hi = n - 1 - e;
  const pts = [[e, e], [e, hi], [hi, e], [hi, hi]];
  if (n % 2 === 1) pts.push([m, m]);
  return pts;
}

// view: {size, stones, last, territory, analysis (or null), ownership (Black's, action order, or null),
//        pvFor (vertex whose line to draw, or null)}
// handlers: {click(vertex), hover(vertex or null)}
// The grid and the click targets are built once per board size and kept: only the layers between them
// are redrawn, so a redraw (an analysis report arrives) never swallows a click under way.
export function renderBoard(container, view, handlers) {
  const n = view.size;
  let board = container._board;
  if (!board || board.size !== n) board = container._board = buildBoard(container, n);
  board.handlers = handlers;
  const xy = board.xy;
  const layers = document.createDocumentFragment();
  const occupied = new Map(view.stones.map(s => [s.vertex, s.color]));
  const a = view.analysis;
  if (view.ownership) {  // Black's expected ownership: dark squares Black's, light White's
    const g = el("g", {"data-layer": "ownership"}, layers);
    view.ownership.forEach((o, i) => {
      if (Math.abs(o) < 0.1) return;
      const [x, y] = xy(i % n, Math.floor(i / n)), h = CELL * 0.42;
      el("rect", {x: x - h, y: y - h, width: 2 * h, height: 2 * h, fill: o > 0 ? "#000" : "#fff",
                  opacity: (Math.abs(o) * 0.45).toFixed(3)}, g);
    });
  }
  if (a && a.policy) {  // the net's prior as a heat map on the empty points
    const g = el("g", {"data-layer": "policy"}, layers);
    const top = Math.max(...Object.values(a.policy), 1e-6);
    for (const [v, p] of Object.entries(a.policy)) {
      if (occupied.has(v) || p < 0.02 * top) continue;
      const [x, y] = xy(...colRow(v));
      el("circle", {cx: x, cy: y, r: CELL * 0.46, fill: "#e0301e", opacity: (0.08 + 0.6 * p / top).toFixed(3),
                    "data-policy": v}, g);
    }
  }
  if (view.territory) {
    const g = el("g", {"data-layer": "territory"}, layers);
    for (const color of ["black", "white"]) {
      for (const v of view.territory[color]) {
        const [x, y] = xy(...colRow(v)), h = CELL * 0.18;
        el("rect", {x: x - h, y: y - h, width: 2 * h, height: 2 * h, fill: color, stroke: "#555",
                    "stroke-width": 0.8, "data-territory": color}, g);
      }
    }
  }
  const stones = el("g", {"data-layer": "stones"}, layers);
  for (const s of view.stones) {
    const [x, y] = xy(...colRow(s.vertex));
    el("circle", {cx: x, cy: y, r: CELL * 0.47, fill: s.color === "black" ? "#111" : "#f8f8f8",
                  stroke: "#000", "stroke-width": 1, "data-vertex": s.vertex, "data-color": s.color,
                  "aria-label": `${s.color} ${s.vertex}`}, stones);
  }
  if (view.last && colRow(view.last)) {
    const [x, y] = xy(...colRow(view.last));
    el("circle", {cx: x, cy: y, r: CELL * 0.16, fill: "none", "stroke-width": 2.5,
                  stroke: occupied.get(view.last) === "black" ? "#fff" : "#000"}, layers);
  }
  if (a && view.pvFor) {
    drawLine(layers, xy, a, view.pvFor, occupied);
  } else if (a) {
    drawCandidates(layers, xy, a, occupied);
  }
  board.dynamic.replaceChildren(layers);
  for (const t of board.targets) {
    const v = t.dataset.point;
    t.setAttribute("aria-label", occupied.has(v) ? `${v} ${occupied.get(v)}` : `${v} empty`);
  }
}

function buildBoard(container, n) {
  const span = CELL * (n - 1) + 2 * MARGIN;
  const xy = (c, r) => [MARGIN + c * CELL, MARGIN + (n - 1 - r) * CELL];
  const svg = el("svg", {viewBox: `0 0 ${span} ${span}`, "data-testid": "board", "data-size": n,
                         role: "grid", "aria-label": `${n} by ${n} Go board`});
  el("rect", {x: 0, y: 0, width: span, height: span, fill: "var(--wood)"}, svg);
  const grid = el("g", {stroke: "#3a2a10", "stroke-width": 1.2}, svg);
  for (let i = 0; i < n; i++) {
    const [x0, y0] = xy(0, i), [x1] = xy(n - 1, i);
    el("line", {x1: x0, y1: y0, x2: x1, y2: y0}, grid);
    const [cx, cy0] = xy(i, n - 1), [, cy1] = xy(i, 0);
    el("line", {x1: cx, y1: cy0, x2: cx, y2: cy1}, grid);
    const label = {"font-size": 14, fill: "#3a2a10", "text-anchor": "middle", "dominant-baseline": "central"};
    el("text", {...label, x: cx, y: MARGIN / 2 - 2}, svg).textContent = LETTERS[i];
    el("text", {...label, x: cx, y: span - MARGIN / 2 + 2}, svg).textContent = LETTERS[i];
    el("text", {...label, x: MARGIN / 2 - 4, y: y0}, svg).textContent = i + 1;
    el("text", {...label, x: span - MARGIN / 2 + 4, y: y0}, svg).textContent = i + 1;
  }
  for (const [c, r] of starPoints(n)) { const [x, y] = xy(c, r); el("circle", {cx: x, cy: y, r: 3.5, fill: "#3a2a10"}, svg); }
  const board = {size: n, xy, handlers: null, dynamic: el("g", {"data-layer": "dynamic"}, svg), targets: []};
  const targets = el("g", {"data-layer": "targets"}, svg);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
    const v = vertexOf(c, r), [x, y] = xy(c, r);
    const t = el("rect", {x: x - CELL / 2, y: y - CELL / 2, width: CELL, height: CELL, fill: "transparent",
                          class: "point", "data-point": v, role: "gridcell"}, targets);
    t.addEventListener("click", () => board.handlers.click(v));
    t.addEventListener("mouseenter", () => board.handlers.hover(v));
    board.targets.push(t);
  }
  svg.addEventListener("mouseleave", () => board.handlers.hover(null));
  container.replaceChildren(svg);
  return board;
}

function drawCandidates(parent, xy, a, occupied) {
  const g = el("g", {"data-layer": "candidates"}, parent);
  a.candidates.forEach((c, i) => {
    const cr = colRow(c.move);
    if (!cr || occupied.has(c.move)) return;
    const [x, y] = xy(...cr);
    el("circle", {cx: x, cy: y, r: CELL * 0.44, fill: i === 0 ? "#4fc3f7" : "#b3e5fc", stroke: "#0277bd",
                  "stroke-width": 1, opacity: 0.92, "data-candidate": c.move}, g);
    const text = {x, "text-anchor": "middle", "font-size": 12, fill: "#01304d"};
    el("text", {...text, y: y - 2}, g).textContent = `${Math.round(100 * c.winrate)}`;
    el("text", {...text, y: y + 11, "font-size": 10}, g).textContent = c.visits;
  });
}

function drawLine(parent, xy, a, vertex, occupied) {
  // the principal variation of the hovered candidate: numbered stones, the mover's colour first
  const cand = a.candidates.find(c => c.move === vertex);
  if (!cand) return drawCandidates(parent, xy, a, occupied);
  const g = el("g", {"data-layer": "pv"}, parent);
  let color = a.toPlay;
  cand.pv.forEach((v, i) => {
    const cr = colRow(v);
    if (cr) {
      const [x, y] = xy(...cr);
      el("circle", {cx: x, cy: y, r: CELL * 0.45, fill: color === "black" ? "#111" : "#f8f8f8", stroke: "#000",
                    opacity: 0.75, "data-pv": v}, g);
      el("text", {x, y: y + 5, "text-anchor": "middle", "font-size": 15,
                  fill: color === "black" ? "#fff" : "#000"}, g).textContent = i + 1;
    }
    color = color === "black" ? "white" : "black";
  });
}
