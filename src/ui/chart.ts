/**
 * Draw a ChartData (lib/chart/choose.ts) with Chart.js. Only the controllers, elements and
 * scales these charts use are registered, to keep the bundle small; loaded on demand.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import type { ChartData } from '../lib/chart/choose.ts';
import { chartColors, themeCharts } from './theme.ts';

Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  CategoryScale,
  LinearScale,
  Tooltip,
  Legend,
);

export function drawChart(canvas: HTMLCanvasElement, d: ChartData): Chart {
  themeCharts();
  const COLORS = chartColors();
  const many = d.points > 300;
  const legend = { display: d.series.length > 1 };
  const common = {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    normalized: true,
    plugins: { legend, tooltip: { enabled: true } },
  };
  const yTitle = d.series.length === 1 ? d.series[0].name : '';
  let cfg: ChartConfiguration;
  if (d.kind === 'bar') {
    cfg = {
      type: 'bar',
      data: {
        labels: d.labels,
        datasets: d.series.map((s, i) => ({
          label: s.name,
          data: s.values,
          backgroundColor: COLORS[i % COLORS.length],
        })),
      },
      options: {
        ...common,
        scales: {
          x: { title: { display: true, text: d.xLabel } },
          y: { beginAtZero: true, title: { display: !!yTitle, text: yTitle } },
        },
      },
    };
  } else if (d.kind === 'scatter') {
    const xs = d.xs ?? [];
    cfg = {
      type: 'scatter',
      data: {
        datasets: [
          {
            label: d.series[0].name,
            data: xs.map((x, i) => ({ x, y: d.series[0].values[i] as number })),
            backgroundColor: COLORS[0],
            pointRadius: many ? 1.5 : 3,
          },
        ],
      },
      options: {
        ...common,
        parsing: false,
        scales: {
          x: { type: 'linear', title: { display: true, text: d.xLabel } },
          y: { title: { display: !!yTitle, text: yTitle } },
        },
      },
    };
  } else if (d.xs) {
    const xs = d.xs;
    cfg = {
      type: 'line',
      data: {
        datasets: d.series.map((s, i) => ({
          label: s.name,
          data: xs.map((x, j) => ({ x, y: s.values[j] })),
          borderColor: COLORS[i % COLORS.length],
          pointRadius: many ? 0 : 2,
          borderWidth: 1.5,
        })),
      },
      options: {
        ...common,
        parsing: false,
        scales: {
          x: { type: 'linear', title: { display: true, text: d.xLabel } },
          y: { title: { display: !!yTitle, text: yTitle } },
        },
      },
    } as ChartConfiguration;
  } else {
    cfg = {
      type: 'line',
      data: {
        labels: d.labels,
        datasets: d.series.map((s, i) => ({
          label: s.name,
          data: s.values,
          borderColor: COLORS[i % COLORS.length],
          pointRadius: many ? 0 : 2,
          borderWidth: 1.5,
        })),
      },
      options: {
        ...common,
        scales: { x: { title: { display: true, text: d.xLabel } }, y: { title: { display: !!yTitle, text: yTitle } } },
      },
    };
  }
  return new Chart(canvas, cfg);
}
