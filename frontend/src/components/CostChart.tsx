// Cost over time against the budget (recharts; loaded only on job pages).
import { useState } from "react";
import { CartesianGrid, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from "recharts";
import type { CostPoint } from "../api/types";
import { formatTime, formatUsd } from "../lib/format";
import { useElementWidth } from "./useElementWidth";

const HEIGHT = 240;

export default function CostChart({ history, budget }: { history: CostPoint[]; budget: number }) {
  const { ref, width } = useElementWidth<HTMLDivElement>();
  const [fitToCost, setFitToCost] = useState(false);
  const data = history.map((point) => ({
    time: new Date(point.timestamp).getTime(),
    cost: point.cost_usd,
    records: point.records_generated,
  }));

  return (
    <div className="chart">
      <div className="chart-toolbar">
        <label className="checkbox">
          <input type="checkbox" checked={fitToCost} onChange={(event) => setFitToCost(event.target.checked)} />
          Scale to cost (hide the budget line)
        </label>
      </div>
      <div ref={ref} className="chart-area" style={{ height: HEIGHT }}>
        {data.length === 0 ? (
          <p className="muted chart-empty">No cost recorded yet: the worker writes a point after each batch.</p>
        ) : (
          width > 0 && (
            <LineChart width={width} height={HEIGHT} data={data} margin={{ top: 12, right: 24, bottom: 4, left: 8 }}>
              <CartesianGrid stroke="#e9ebed" strokeDasharray="3 3" />
              <XAxis
                dataKey="time"
                type="number"
                scale="time"
                domain={["dataMin", "dataMax"]}
                tickFormatter={(value: number) => formatTime(new Date(value).toISOString())}
                tick={{ fontSize: 11 }}
              />
              <YAxis
                tickFormatter={(value: number) => formatUsd(value)}
                tick={{ fontSize: 11 }}
                width={72}
                domain={[0, "auto"]}
              />
              <Tooltip
                labelFormatter={(value) => formatTime(new Date(Number(value)).toISOString())}
                formatter={(value, name) =>
                  name === "cost" ? [formatUsd(Number(value)), "Cost"] : [String(value), String(name)]
                }
              />
              {!fitToCost && (
                <ReferenceLine
                  y={budget}
                  stroke="#d91515"
                  strokeDasharray="6 4"
                  ifOverflow="extendDomain"
                  label={{ value: `Budget ${formatUsd(budget)}`, position: "insideTopRight", fill: "#d91515", fontSize: 11 }}
                />
              )}
              <Line type="monotone" dataKey="cost" stroke="#0972d3" strokeWidth={2} dot={data.length < 40} isAnimationActive={false} />
            </LineChart>
          )
        )}
      </div>
    </div>
  );
}
