/** Colours from the page's CSS variables (app.css), for what CSS cannot reach: Chart.js canvases. */
import { Chart } from 'chart.js';

const FALLBACK = ['#1d4ed8', '#b54708', '#067647', '#7a5af8', '#c11574'];

/** The value of a CSS custom property on the page (the fallback outside a page or when unset). */
export function cssVar(name: string, fallback: string): string {
  if (typeof document === 'undefined') return fallback;
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** The series colours of the current colour scheme (hex, so that an alpha suffix can be added). */
export function chartColors(): string[] {
  return FALLBACK.map((c, i) => cssVar(`--chart-${i + 1}`, c));
}

/** Text and grid colours of every chart follow the scheme (call before drawing). */
export function themeCharts(): void {
  Chart.defaults.color = cssVar('--muted', '#5b6470');
  Chart.defaults.borderColor = cssVar('--line', '#dde1e6');
}
