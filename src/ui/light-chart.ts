/**
 * The fast query encoder's trade-off plot: Recall@10 (against the big encoder's own top 10)
 * versus p50 query latency, both on log scales, one point per measured variant. Chart.js with
 * only the parts it needs; loaded on demand by LightPanel.
 */
import { Chart, Legend, LogarithmicScale, PointElement, ScatterController, Tooltip } from 'chart.js';
import type { VariantRow } from '../lib/embed/light-query.ts';
import { chartColors, themeCharts } from './theme.ts';

Chart.register(ScatterController, PointElement, LogarithmicScale, Tooltip, Legend);

const KINDS: VariantRow['kind'][] = ['teacher', 'compact', 'static+map'];

export function drawTradeoff(canvas: HTMLCanvasElement, rows: VariantRow[]): Chart {
  themeCharts();
  const colors = chartColors();
  return new Chart(canvas, {
    type: 'scatter',
    data: {
      datasets: KINDS.map((kind, i) => ({
        label: kind,
        data: rows
          .filter((r) => r.kind === kind)
          // a recall of 0 has no place on a log axis: drawn at the axis floor
          .map((r) => ({ x: Math.max(r.p50ms, 1e-3), y: Math.max(r.recall10, 0.01), name: r.variant })),
        backgroundColor: colors[i % colors.length],
        borderColor: colors[i % colors.length],
        pointRadius: 5,
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: { type: 'logarithmic', title: { display: true, text: 'p50 query latency (ms, log)' } },
        y: { type: 'logarithmic', max: 1, title: { display: true, text: 'Recall@10 vs big model (log)' } },
      },
      plugins: {
        tooltip: {
          callbacks: {
            label: (c) => {
              const p = c.raw as { x: number; y: number; name: string };
              return `${p.name}: R@10 ${p.y.toFixed(3)}, ${p.x.toFixed(2)} ms`;
            },
          },
        },
      },
    },
  });
}
