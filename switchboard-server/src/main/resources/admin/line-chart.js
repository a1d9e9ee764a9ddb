// A small live line chart on a <canvas>: the last N samples, one line per series, the y axis from
// zero with labelled ticks, the x axis in seconds before the newest sample, and an HTML legend with
// each series' latest value. Sharp on high-density screens (devicePixelRatio) and redrawn on resize.
//
// For tests and scripts, the canvas carries data-points (samples in the chart) and data-last (the
// newest sample's values as JSON, e.g. {"in":12,"out":40}).

const PALETTE = ['#2f6fed', '#14b8a6', '#d97706', '#d64545', '#7c3aed', '#0891b2', '#65a30d', '#db2777'];
const GRID = '#e2e6ec';
const AXIS = '#c4cad4';
const LABEL = '#667085';
const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const PAD = { top: 10, right: 14, bottom: 24, title: 16 };

/** "12", "1.5", "0.25", "1.2k", "3.4M": short tick and legend numbers. */
export function shortNumber(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return trim((value / 1e6).toFixed(1)) + 'M';
  if (magnitude >= 1e4) return trim((value / 1e3).toFixed(1)) + 'k';
  if (magnitude >= 100 || Number.isInteger(value)) return String(Math.round(value));
  if (magnitude >= 10) return trim(value.toFixed(1));
  return trim(value.toFixed(2));
}

function trim(text) {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** The top of the y axis and its tick step: a 1/2/2.5/5 × 10^n step, about `count` ticks. */
export function niceScale(max, count = 4) {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map(f => f * power).find(s => s >= rough);
  return { top: Math.ceil(max / step - 1e-9) * step, step };
}

export class LineChart {
  #canvas;
  #legend;
  #capacity;
  #gapMs;
  #format;
  #yTitle;
  #fixedSeries;
  #colors = new Map();      // series key -> colour, kept while the series is in the window
  #samples = [];            // [{time, values: {key: number|null}}], oldest first
  #legendItems = new Map(); // series key -> {item, value}

  /**
   * @param {HTMLCanvasElement} canvas sized by CSS; the drawing buffer follows its size × devicePixelRatio
   * @param {object} options
   * @param {number} [options.capacity=120] samples kept; older ones scroll out
   * @param {HTMLElement} [options.legend] an element (a list) the legend is rendered into
   * @param {{key: string, label: string, color?: string}[]} [options.series] fixed series, in legend
   *   order; without it every key that appears in a sample becomes a series (e.g. one per node)
   * @param {string} [options.yTitle] the y axis title, e.g. "ms"
   * @param {(value: number) => string} [options.format] legend numbers (ticks use shortNumber)
   * @param {number} [options.gapMs=5000] a line breaks where two samples are further apart than this
   */
  constructor(canvas, { capacity = 120, legend = null, series = null, yTitle = '', format = shortNumber, gapMs = 5000 } = {}) {
    this.#canvas = canvas;
    this.#legend = legend;
    this.#capacity = capacity;
    this.#gapMs = gapMs;
    this.#format = format;
    this.#yTitle = yTitle;
    this.#fixedSeries = series;
    series?.forEach((s, i) => this.#colors.set(s.key, s.color ?? PALETTE[i % PALETTE.length]));
    this.#publish();
    if (typeof ResizeObserver === 'function') new ResizeObserver(() => this.draw()).observe(canvas);
    this.#watchPixelRatio();
  }

  /** Adds a sample (`values`: series key -> number, or null for "no value") and redraws. */
  push(time, values) {
    this.#samples.push({ time, values: { ...values } });
    if (this.#samples.length > this.#capacity) this.#samples.splice(0, this.#samples.length - this.#capacity);
    this.#publish();
    this.draw();
  }

  /** Forgets every sample (e.g. on sign-out). */
  clear() {
    this.#samples = [];
    if (!this.#fixedSeries) this.#colors.clear();
    this.#publish();
    this.draw();
  }

  get sampleCount() {
    return this.#samples.length;
  }

  /** The series shown: the fixed ones, or every key seen in the window, in order of first appearance. */
  #seriesList() {
    if (this.#fixedSeries) return this.#fixedSeries.map(s => ({ key: s.key, label: s.label, color: this.#colors.get(s.key) }));
    const keys = [];
    for (const sample of this.#samples) {
      for (const key of Object.keys(sample.values)) if (!keys.includes(key)) keys.push(key);
    }
    for (const key of [...this.#colors.keys()]) if (!keys.includes(key)) this.#colors.delete(key);
    for (const key of keys) {
      if (!this.#colors.has(key)) {
        const used = new Set(this.#colors.values());
        this.#colors.set(key, PALETTE.find(c => !used.has(c)) ?? PALETTE[this.#colors.size % PALETTE.length]);
      }
    }
    return keys.sort().map(key => ({ key, label: key, color: this.#colors.get(key) }));
  }

  #publish() {
    const last = this.#samples.at(-1);
    this.#canvas.dataset.points = String(this.#samples.length);
    this.#canvas.dataset.last = JSON.stringify(last ? last.values : {});
    this.#renderLegend(last);
  }

  #renderLegend(last) {
    if (!this.#legend) return;
    const series = this.#seriesList();
    for (const [key, entry] of this.#legendItems) {
      if (!series.some(s => s.key === key)) {
        entry.item.remove();
        this.#legendItems.delete(key);
      }
    }
    series.forEach((s, index) => {
      let entry = this.#legendItems.get(s.key);
      if (!entry) {
        const swatch = document.createElement('span');
        swatch.className = 'legend-swatch';
        swatch.setAttribute('aria-hidden', 'true');
        const label = document.createElement('span');
        label.className = 'legend-label';
        label.textContent = s.label;
        const value = document.createElement('span');
        value.className = 'legend-value';
        const item = document.createElement('li');
        item.dataset.series = s.key;
        item.append(swatch, label, value);
        entry = { item, value, swatch };
        this.#legendItems.set(s.key, entry);
      }
      entry.swatch.style.background = s.color;
      if (this.#legend.children[index] !== entry.item) this.#legend.insertBefore(entry.item, this.#legend.children[index] ?? null);
      const latest = last?.values[s.key];
      const text = latest === null || latest === undefined ? '–' : this.#format(latest);
      if (entry.value.textContent !== text) entry.value.textContent = text;
    });
  }

  /** Redraws at the canvas's current CSS size; does nothing while it has none (e.g. hidden). */
  draw() {
    const canvas = this.#canvas;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    const ratio = window.devicePixelRatio || 1;
    const bufferWidth = Math.round(width * ratio);
    const bufferHeight = Math.round(height * ratio);
    if (canvas.width !== bufferWidth || canvas.height !== bufferHeight) {
      canvas.width = bufferWidth;
      canvas.height = bufferHeight;
    }
    const context = canvas.getContext('2d');
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    context.font = FONT;
    context.textBaseline = 'middle';

    const series = this.#seriesList();
    const samples = this.#samples;
    let max = 0;
    for (const sample of samples) {
      for (const s of series) {
        const value = sample.values[s.key];
        if (Number.isFinite(value) && value > max) max = value;
      }
    }
    const { top, step } = niceScale(max);
    const ticks = [];
    for (let value = 0; value <= top + step / 2; value += step) ticks.push(value);
    const labelWidth = Math.max(...ticks.map(t => context.measureText(shortNumber(t)).width));
    const plot = {
      left: PAD.title + labelWidth + 8,
      top: PAD.top,
      right: width - PAD.right,
      bottom: height - PAD.bottom,
    };
    plot.width = Math.max(1, plot.right - plot.left);
    plot.height = Math.max(1, plot.bottom - plot.top);
    const y = value => plot.bottom - (value / top) * plot.height;

    // Horizontal grid and y labels
    context.textAlign = 'right';
    for (const tick of ticks) {
      const at = Math.round(y(tick)) + 0.5;
      context.strokeStyle = tick === 0 ? AXIS : GRID;
      context.lineWidth = 1;
      context.beginPath();
      context.moveTo(plot.left, at);
      context.lineTo(plot.right, at);
      context.stroke();
      context.fillStyle = LABEL;
      context.fillText(shortNumber(tick), plot.left - 6, at);
    }
    if (this.#yTitle) {
      context.save();
      context.translate(PAD.title / 2 + 1, plot.top + plot.height / 2);
      context.rotate(-Math.PI / 2);
      context.textAlign = 'center';
      context.fillText(this.#yTitle, 0, 0);
      context.restore();
    }

    // Time axis: seconds before the newest sample; the window is at least `capacity` seconds wide
    const newest = samples.at(-1)?.time ?? 0;
    const spanMs = Math.max(this.#capacity * 1000, samples.length > 0 ? newest - samples[0].time : 0);
    const x = time => plot.right - ((newest - time) / spanMs) * plot.width;
    context.strokeStyle = AXIS;
    context.beginPath();
    context.moveTo(plot.left + 0.5, plot.top);
    context.lineTo(plot.left + 0.5, plot.bottom);
    context.stroke();
    context.textAlign = 'center';
    context.fillStyle = LABEL;
    const tickSeconds = spanMs <= 180_000 ? 30 : 60 * Math.ceil(spanMs / 240_000);
    for (let seconds = 0; seconds * 1000 <= spanMs; seconds += tickSeconds) {
      const at = Math.round(plot.right - (seconds * 1000 / spanMs) * plot.width) + 0.5;
      context.strokeStyle = AXIS;
      context.beginPath();
      context.moveTo(at, plot.bottom);
      context.lineTo(at, plot.bottom + 4);
      context.stroke();
      const label = seconds === 0 ? 'now' : seconds % 60 === 0 ? `−${seconds / 60} min` : `−${seconds} s`;
      context.textAlign = seconds === 0 ? 'right' : at - plot.left < 20 ? 'left' : 'center';
      context.fillText(label, seconds === 0 ? plot.right : at, plot.bottom + 14);
    }

    if (samples.length === 0) {
      context.textAlign = 'center';
      context.fillStyle = LABEL;
      context.fillText('Waiting for data…', plot.left + plot.width / 2, plot.top + plot.height / 2);
      return;
    }

    // One line per series; a missing value or a gap in time breaks it, a lone point is a dot
    context.save();
    context.beginPath();
    context.rect(plot.left, plot.top - 4, plot.width + 4, plot.height + 8);
    context.clip();
    context.lineWidth = 2;
    context.lineJoin = 'round';
    context.lineCap = 'round';
    for (const s of series) {
      context.strokeStyle = s.color;
      context.fillStyle = s.color;
      let run = [];
      const flush = () => {
        if (run.length === 1) {
          context.beginPath();
          context.arc(run[0][0], run[0][1], 2.5, 0, 2 * Math.PI);
          context.fill();
        } else if (run.length > 1) {
          context.beginPath();
          run.forEach(([px, py], i) => (i === 0 ? context.moveTo(px, py) : context.lineTo(px, py)));
          context.stroke();
        }
        run = [];
      };
      let previousTime = null;
      for (const sample of samples) {
        const value = sample.values[s.key];
        if (previousTime !== null && sample.time - previousTime > this.#gapMs) flush();
        previousTime = sample.time;
        if (Number.isFinite(value)) run.push([x(sample.time), y(value)]);
        else flush();
      }
      flush();
      const last = samples.at(-1).values[s.key];
      if (Number.isFinite(last)) {
        context.beginPath();
        context.arc(x(newest), y(last), 3, 0, 2 * Math.PI);
        context.fill();
      }
    }
    context.restore();
  }

  /** devicePixelRatio changes (browser zoom, a window moved to another screen) need a new buffer size. */
  #watchPixelRatio() {
    if (typeof matchMedia !== 'function') return;
    const query = matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    query.addEventListener('change', () => {
      this.draw();
      this.#watchPixelRatio();
    }, { once: true });
  }
}
