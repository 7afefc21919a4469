// mlroi what-if panel: recomputes the headline figures from the monthly flows Python embedded.
// It only scales, cuts at the horizon, discounts and sums, with the conventions of
// mlroi.roi.finance (monthly rate expm1(log1p(r) / 12); month 0 undiscounted; payback with a
// month's cost paid at its start and its value earned evenly through it).
(function () {
  "use strict";
  function monthlyRate(annual) { return Math.expm1(Math.log1p(annual) / 12); }

  function flows(data, inp) {
    var h = inp.horizon, value = new Array(h + 1).fill(0), cost = new Array(h + 1).fill(0);
    data.lines.forEach(function (line, i) {
      var k, target = line.kind === "value" ? value : cost;
      if (line.kind === "cost line") { k = inp.factors[i]; }
      else { k = inp.lifts[i] * (line.kind === "value" ? inp.margins[i] : 1) * inp.population; }
      for (var t = 0; t <= h; t++) { target[t] += k * line.flow[t]; }
    });
    return { value: value, cost: cost };
  }

  function sum(xs) { var s = 0; for (var i = 0; i < xs.length; i++) { s += xs[i]; } return s; }

  function payback(value, cost) {
    var cumV = 0, cumC = 0, prevV = 0;
    cumC = cost[0]; cumV = value[0];
    for (var m = 1; m < value.length; m++) {
      prevV = cumV; cumV += value[m]; cumC += cost[m];
      if (cumV >= cumC) {
        var owed = Math.max(cumC - prevV, 0), earned = value[m];
        return (m - 1) + (owed > 0 ? owed / (earned > 0 ? earned : 1) : 0);
      }
    }
    return Infinity;
  }

  function figures(data, inp) {
    var f = flows(data, inp), v = sum(f.value), c = sum(f.cost);
    var growth = 1 + monthlyRate(inp.rate), npv = 0;
    for (var t = 0; t < f.value.length; t++) { npv += (f.value[t] - f.cost[t]) * Math.pow(growth, -t); }
    var multiple = v / c;
    return {
      total_value: v, total_cost: c, net_value: v - c, return_multiple: multiple,
      net_roi: multiple - 1, npv: npv, payback_months: payback(f.value, f.cost)
    };
  }

  function show(x, kind, currency) {
    if (!isFinite(x)) {
      if (kind === "months" && x === Infinity) { return "not within the horizon"; }
      return "—";
    }
    if (kind === "money") {
      return new Intl.NumberFormat("en-US", {
        style: "currency", currency: currency, notation: "compact", maximumSignificantDigits: 3
      }).format(x);
    }
    if (kind === "multiple") { return x.toFixed(2) + "x"; }
    return x.toFixed(1) + " months";
  }

  function read(panel, data) {
    var number = function (name) {
      var el = panel.querySelector("[name='" + name + "']");
      var x = el.value.trim() === "" ? NaN : Number(el.value);
      el.setAttribute("aria-invalid", isFinite(x) ? "false" : "true");
      return x;
    };
    var inp = {
      horizon: Math.round(number("horizon")), rate: number("rate") / 100,
      population: number("population") / 100, lifts: [], margins: [], factors: []
    };
    data.lines.forEach(function (line, i) {
      inp.lifts.push(line.kind === "cost line" ? NaN : number("lift-" + i));
      inp.margins.push(line.kind === "value" ? number("margin-" + i) : 1);
      inp.factors.push(line.kind === "cost line" ? number("factor-" + i) : 1);
    });
    var ok = inp.horizon >= 1 && inp.horizon <= data.months && inp.rate >= 0 && inp.rate < 1 &&
      inp.population >= 0;
    data.lines.forEach(function (line, i) {
      if (line.kind === "cost line") { ok = ok && inp.factors[i] >= 0; }
      else { ok = ok && isFinite(inp.lifts[i]) && inp.margins[i] >= 0 && inp.margins[i] <= 1; }
    });
    return ok ? inp : null;
  }

  function update(panel, data) {
    var inp = read(panel, data), out = inp === null ? null : figures(data, inp);
    panel.querySelectorAll("[data-figure]").forEach(function (cell) {
      var name = cell.getAttribute("data-figure");
      var x = out === null ? NaN : out[name];
      cell.setAttribute("data-value", String(x));
      cell.textContent = out === null ? "check the inputs" : show(x, cell.getAttribute("data-kind"), data.currency);
    });
  }

  document.querySelectorAll("section.what-if").forEach(function (panel) {
    var data = JSON.parse(panel.querySelector("script.what-if-data").textContent);
    panel.querySelector("form").addEventListener("input", function () { update(panel, data); });
    panel.querySelector("form").addEventListener("reset", function () {
      setTimeout(function () { update(panel, data); }, 0);
    });
    update(panel, data);
  });
})();
