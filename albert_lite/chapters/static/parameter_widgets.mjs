// The book's parameter widgets: sliders and toggles whose counts are computed in the browser.
//
// countParameters() is albert_lite.params.count_parameters written again in JavaScript, so that a
// rendered page answers without a kernel; tests/test_widgets.py runs it under node on random
// configurations and compares it with the Python count exactly.

const SHARING_MODES = ["none", "all", "attention", "ffn"];

/** Defaults of AlbertConfig for the fields a widget does not set. */
const DEFAULTS = {
  vocab_size: 30000, embedding_size: 128, hidden_size: 768, num_layers: 12, num_heads: 12,
  intermediate_size: null, max_position_embeddings: 512, type_vocab_size: 2, sharing: "all", group_size: null,
};

/** A complete configuration, or an error message naming the field (as AlbertConfig says it). */
export function makeConfig(fields) {
  const config = { ...DEFAULTS, ...fields };
  config.intermediate_size ??= 4 * config.hidden_size;
  config.group_size ??= config.num_layers;
  for (const name of ["vocab_size", "embedding_size", "hidden_size", "num_layers", "num_heads",
    "intermediate_size", "max_position_embeddings", "type_vocab_size", "group_size"]) {
    if (!Number.isInteger(config[name]) || config[name] <= 0) {
      return { error: `${name}=${config[name]} is not allowed: it must be a positive integer` };
    }
  }
  if (config.hidden_size % config.num_heads) {
    return { error: `hidden_size=${config.hidden_size} is not divisible by num_heads=${config.num_heads}` };
  }
  if (!SHARING_MODES.includes(config.sharing)) {
    return { error: `sharing=${config.sharing} is not allowed: choose one of ${SHARING_MODES.join(", ")}` };
  }
  if (config.sharing !== "none" && config.num_layers % config.group_size) {
    return { error: `group_size=${config.group_size} does not divide num_layers=${config.num_layers}` };
  }
  return { config };
}

/** For each layer, [index of its attention block, index of its FFN block]. */
export function sharingPlan(config) {
  const plan = [];
  for (let layer = 0; layer < config.num_layers; layer++) {
    const group = config.sharing === "none" ? layer : Math.floor(layer / config.group_size);
    const attention = ["all", "attention"].includes(config.sharing) ? group : layer;
    const ffn = ["all", "ffn"].includes(config.sharing) ? group : layer;
    plan.push([attention, ffn]);
  }
  return plan;
}

const linear = (nIn, nOut) => nIn * nOut + nOut;
const layerNorm = (width) => 2 * width;

/** Parameters by component, as count_parameters(config) gives them (shared blocks counted once). */
export function countParameters(config, withHeads = false) {
  const { embedding_size: e, hidden_size: h, vocab_size: v, intermediate_size: ffnWidth } = config;
  const plan = sharingPlan(config);
  const distinctAttention = new Set(plan.map(([a]) => a)).size;
  const distinctFfn = new Set(plan.map(([, f]) => f)).size;
  const counts = {
    embedding: (v + config.max_position_embeddings + config.type_vocab_size) * e + layerNorm(e),
    projection: e !== h ? linear(e, h) : 0,
    attention: distinctAttention * (4 * linear(h, h) + layerNorm(h)),
    ffn: distinctFfn * (linear(h, ffnWidth) + linear(ffnWidth, h) + layerNorm(h)),
    pooler: linear(h, h),
    heads: withHeads ? linear(h, e) + layerNorm(e) + v + linear(h, 2) : 0,
  };
  counts.total = Object.values(counts).reduce((a, b) => a + b, 0);
  return counts;
}

const fmt = (n) => n.toLocaleString("en-US");

// The Chinese edition declares lang="zh-CN": there the widgets' words are Chinese (numbers, symbols and the
// data-count keys the tests read stay as they are). In Jupyter and Colab the page declares no Chinese.
const ZH = {
  component: "组成部分", parameters: "参数", share: "占比", "of the larger": "占较大者", embedding: "嵌入",
  attention: "注意力", ffn: "前馈网络", FFN: "前馈网络", pooler: "池化层", heads: "头数", sharing: "共享",
  layer: "层", "BERT shape (E = H, nothing shared)": "BERT 形状（E = H，不共享）",
  "V x H (BERT)": "V x H（BERT）", "V x E + E x H (ALBERT)": "V x E + E x H（ALBERT）",
};
const chinese = () => (globalThis.document?.documentElement?.lang ?? "").startsWith("zh");
const say = (text) => (chinese() ? ZH[text] ?? text : text);
const millions = (n) => `${(n / 1e6).toFixed(1)}M`;
const divisors = (n) => Array.from({ length: n }, (_, i) => i + 1).filter((m) => n % m === 0);

/** A row of bars, one per component, widths proportional to the counts. */
function bars(rows, total, shareOf = "share") {
  return `<table class="albert-counts"><tr><th>${say("component")}</th><th>${say("parameters")}</th><th>${
    say(shareOf)}</th><th></th></tr>${rows
    .map(([name, n, color]) => `<tr><td>${say(name)}</td><td data-count="${name}">${fmt(n)}</td>
      <td>${((100 * n) / total).toFixed(1)}%</td>
      <td class="albert-bar-cell"><span class="albert-bar" style="width:${(100 * n) / total}%;background:${color}">
      </span></td></tr>`)
    .join("")}</table>`;
}

function total(label, n) {
  return `<p class="albert-total">${say(label)}: <b data-count="total" data-value="${n}">${fmt(n)}</b>
    ${chinese() ? "个参数" : "parameters"} (${millions(n)})</p>`;
}

// Each kind of widget: its controls and what it shows for the current values.
const KINDS = {
  bert_shape: {
    controls: [
      { name: "vocab_size", label: "V", min: 5000, max: 250000, step: 5000 },
      { name: "hidden_size", label: "H", min: 128, max: 4096, step: 64 },
      { name: "num_layers", label: "L", min: 1, max: 48, step: 1 },
      { name: "num_heads", label: "heads", options: [1, 2, 4, 8, 12, 16, 32, 64] },
    ],
    view(values) {
      const h = values.hidden_size;
      const made = makeConfig({ ...values, embedding_size: h, sharing: "none" });
      if (made.error) return { error: made.error };
      const c = countParameters(made.config);
      return {
        html: total("BERT shape (E = H, nothing shared)", c.total) + bars([
          ["embedding", c.embedding, "#4c72b0"], ["attention", c.attention, "#dd8452"],
          ["ffn", c.ffn, "#55a868"], ["pooler", c.pooler, "#8172b3"]], c.total),
        total: c.total,
      };
    },
  },
  embedding: {
    controls: [
      { name: "vocab_size", label: "V", min: 1000, max: 250000, step: 1000 },
      { name: "embedding_size", label: "E", min: 8, max: 1024, step: 8 },
      { name: "hidden_size", label: "H", min: 128, max: 8192, step: 128 },
    ],
    view({ vocab_size: v, embedding_size: e, hidden_size: h }) {
      const bert = v * h;
      const albert = v * e + e * h;
      const ratio = albert / bert;
      const shape = (emb) => makeConfig({ vocab_size: v, embedding_size: emb, hidden_size: h, num_heads: 1 }).config;
      const block = (c) => { const n = countParameters(c); return n.embedding + n.projection; };
      const shown = `<b data-count="ratio">${ratio.toFixed(4)}</b>`;
      const verdict = chinese()
        ? (ratio < 1 ? `比值 ${shown}（约 1/${(1 / ratio).toFixed(1)}）：节省 ${fmt(bert - albert)}`
          : `比值 ${shown}：E 这么大时，分解反而更费参数`)
        : (ratio < 1 ? `ratio ${shown} (about 1/${(1 / ratio).toFixed(1)}): saves ${fmt(bert - albert)}`
          : `ratio ${shown}: with E this large the factorization costs more`);
      const whole = chinese()
        ? "按 <code>count_parameters</code> 的算法计算的整个嵌入块（位置、片段类型、LayerNorm、带偏置的 E &rarr; H 变换矩阵）"
        : `Whole embedding block as <code>count_parameters</code> counts it (positions,
          segment types, LayerNorm, the E &rarr; H projection with its bias)`;
      return {
        html: `<p>BERT &nbsp; V &times; H = <b data-count="V x H">${fmt(bert)}</b><br>
          ALBERT V &times; E + E &times; H = <b data-count="total" data-value="${albert}">${fmt(albert)}</b><br>
          ${verdict}</p>` + bars([["V x H (BERT)", bert, "#4c72b0"], ["V x E + E x H (ALBERT)", albert, "#55a868"]],
          Math.max(bert, albert), "of the larger") +
          `<p class="albert-note">${whole}: BERT
          <span data-count="bert block">${fmt(block(shape(h)))}</span>, ALBERT
          <span data-count="albert block">${fmt(block(shape(e)))}</span>.</p>`,
        total: albert,
      };
    },
  },
  sharing: {
    controls: [
      { name: "sharing", label: "sharing", options: SHARING_MODES },
      { name: "num_layers", label: "L", min: 1, max: 48, step: 1 },
      { name: "group_size", label: "M", options: (values) => divisors(values.num_layers) },
      { name: "embedding_size", label: "E", options: [128, 768] },
    ],
    view(values) {
      const made = makeConfig({ ...values, vocab_size: 30000, hidden_size: 768, num_heads: 12 });
      if (made.error) return { error: made.error };
      const config = made.config;
      const c = countParameters(config);
      const reference = countParameters({ ...config, sharing: "none" }).total;
      const plan = sharingPlan(config);
      const row = (label, which) => `<tr><th>${say(label)}</th>${plan
        .map((blocks) => `<td style="background:hsl(${(blocks[which] * 47) % 360},55%,80%)">${blocks[which]}</td>`)
        .join("")}</tr>`;
      const attention = new Set(plan.map(([a]) => a)).size;
      const ffn = new Set(plan.map(([, f]) => f)).size;
      const fewer = (reference / c.total).toFixed(1);
      const shape = chinese() ? `ALBERT-base 形状，共享方式 "${config.sharing}"，M = ${config.group_size}`
        : `ALBERT-base shape, sharing "${config.sharing}", M = ${config.group_size}`;
      const summary = chinese()
        ? `不同的注意力块 ${attention} 个，不同的前馈网络块 ${ffn} 个；编码器 ${fmt(c.attention + c.ffn)}；不共享时
          ${fmt(reference)}，即少 ${fewer} 倍`
        : `distinct attention blocks ${attention}, distinct FFN blocks ${ffn}; encoder ${fmt(c.attention + c.ffn)}; not
          shared ${fmt(reference)}, so ${fewer}x fewer`;
      return {
        html: total(shape, c.total) + `<p>${summary}</p>
          <table class="albert-plan" style="font-size:${plan.length > 24 ? 9 : 12}px"><tr><th>${say("layer")}</th>${plan.map((_, i) => `<td>${i}</td>`).join("")}</tr>
          ${row("attention", 0)}${row("FFN", 1)}</table>`,
        total: c.total,
      };
    },
  },
};

const STYLE = `
.albert-widget { font: 14px/1.4 system-ui, sans-serif; border: 1px solid #ddd; padding: 8px 12px; max-width: 100%; }
.albert-widget label { display: inline-flex; gap: 6px; align-items: center; margin: 2px 16px 2px 0; }
.albert-widget output { min-width: 4.5em; font-variant-numeric: tabular-nums; }
.albert-widget table { border-collapse: collapse; margin: 6px 0; font-variant-numeric: tabular-nums; }
.albert-widget td, .albert-widget th { padding: 1px 6px; text-align: right; }
.albert-counts td:first-child, .albert-counts th:first-child { text-align: left; }
.albert-bar-cell { width: 40%; min-width: 120px; text-align: left !important; }
.albert-bar { display: inline-block; height: 12px; }
.albert-plan { width: 100%; table-layout: fixed; }
.albert-plan th { width: 5.5em; }
.albert-plan td { padding: 1px 0; text-align: center !important; }
.albert-error { color: #b00020; }
.albert-note { color: #555; font-size: 13px; }
`;

/** One labelled control: a slider with its value shown, or a drop-down list for a few options. */
function control(spec, options, value, onChange) {
  const label = document.createElement("label");
  label.textContent = say(spec.label);
  const shown = document.createElement("output");
  let input;
  if (options) {
    input = document.createElement("select");
    for (const option of options) input.add(new Option(String(option), String(option)));
  } else {
    input = document.createElement("input");
    Object.assign(input, { type: "range", min: spec.min, max: spec.max, step: spec.step });
  }
  input.name = spec.name;
  const show = (v) => { input.value = String(v); shown.textContent = options ? "" : fmt(v); };
  show(value);
  input.addEventListener("input", () => {
    const parsed = typeof value === "number" ? Number(input.value) : input.value;
    shown.textContent = options ? "" : fmt(parsed);
    onChange(spec.name, parsed);
  });
  label.append(input);
  if (!options) label.append(shown);
  return { element: label, show };
}

function render({ model, el }) {
  const kind = KINDS[model.get("kind")];
  const root = document.createElement("div");
  root.className = "albert-widget";
  const style = document.createElement("style");
  style.textContent = STYLE;
  const controls = document.createElement("div");
  const result = document.createElement("div");
  root.append(style, controls, result);
  el.append(root);

  const values = () => Object.fromEntries(kind.controls.map((c) => [c.name, model.get(c.name)]));
  const set = (name, value) => {
    model.set(name, value);
    // Keep M a divisor of L: a change of L resets a group size it no longer divides.
    if (name === "num_layers" && model.get("group_size") !== undefined && value % model.get("group_size")) {
      model.set("group_size", value);
    }
    model.save_changes();
  };
  const built = {};  // name -> {element, show, key}: a control is rebuilt only when its options change
  const draw = () => {
    const now = values();
    for (const spec of kind.controls) {
      const options = typeof spec.options === "function" ? spec.options(now) : spec.options;
      const key = JSON.stringify(options ?? null);
      if (built[spec.name]?.key !== key) {
        const fresh = { ...control(spec, options, now[spec.name], set), key };
        if (built[spec.name]) built[spec.name].element.replaceWith(fresh.element);
        else controls.append(fresh.element);
        built[spec.name] = fresh;
      } else {
        built[spec.name].show(now[spec.name]);
      }
    }
    const shown = kind.view(now);
    result.innerHTML = shown.error ? `<p class="albert-error" data-count="error">${shown.error}</p>` : shown.html;
    if (!shown.error && model.get("total") !== shown.total) {
      model.set("total", shown.total);  // Python sees what the page shows
      model.save_changes();
    }
  };
  draw();
  const names = kind.controls.map((c) => `change:${c.name}`).join(" ");
  model.on(names, draw);
  return () => model.off(names, draw);
}

export default { render };
