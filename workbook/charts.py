"""The report's charts as PNG bytes, with matplotlib's Agg backend (no display, no browser, no system
libraries; the font is the DejaVu Sans matplotlib ships).

Accessible by construction: every segment and bar carries its number as text, statuses differ by
hatch pattern and have a black outline (non-text contrast, WCAG 1.4.11), the legend says the words,
and each chart comes with the alt text that says the same numbers (`Chart.alt`).
"""

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from rules.values import format_mnkr, format_number  # noqa: E402

INK = "#000000"
DARK = "#1F3864"        # utfall bars and headings: 12:1 against white
LIGHT = "#D9D9D9"       # budget bars, with a black outline
HATCHES = {0: "", 1: "//", 2: "xx", 3: ".."}
DPI = 150


@dataclass(frozen=True)
class Chart:
    png: bytes
    alt: str
    width_cm: float


def _png(fig):
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, bbox_inches="tight", facecolor="white",
                metadata={"Software": None})  # no version stamp: the same data gives the same bytes
    plt.close(fig)
    return out.getvalue()


def _style():
    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 9, "hatch.linewidth": 0.6,
                         "svg.hashsalt": "vp", "axes.edgecolor": INK, "text.color": INK,
                         "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK})


def status_bars(groups, statuses, fills, symbols, counted=None):
    """A stacked horizontal bar per group ("KF-mål", "Nämndmål") of how many have each status.

    `groups` = [(name, {status: count})] in the order to show, `statuses` the order of the segments,
    `counted(status, count)` the word the alt text says after a count ("1 uppfyllt", "2 uppfyllda").
    """
    counted = counted or (lambda status, count: status.lower())
    _style()
    fig = Figure(figsize=(6.3, 0.55 + 0.55 * len(groups)))
    ax = fig.subplots()
    names = [name for name, _ in groups]
    for index, status in enumerate(statuses):
        lefts = [sum(counts.get(s, 0) for s in statuses[:index]) for _, counts in groups]
        widths = [counts.get(status, 0) for _, counts in groups]
        bars = ax.barh(names, widths, left=lefts, color="#" + fills.get(status, "FFFFFF"), edgecolor=INK,
                       linewidth=0.8, hatch=HATCHES.get(index, ""), label=f"{symbols.get(status, '')} {status}")
        for bar, width in zip(bars, widths):
            if width:
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2,
                        f"{symbols.get(status, '')} {width}", ha="center", va="center", fontsize=9, fontweight="bold",
                        color=INK, bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})
    total = max((sum(counts.values()) for _, counts in groups), default=1)
    ax.set_xlim(0, total)
    ax.invert_yaxis()
    ax.set_xlabel("Antal")
    ax.xaxis.get_major_locator().set_params(integer=True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(groups) < 3 else -0.25), ncol=len(statuses),
              frameon=False, fontsize=8.5, handlelength=1.6)
    parts = []
    for name, counts in groups:
        said = ", ".join(f"{counts[s]} {counted(s, counts[s])}" for s in statuses if counts.get(s, 0))
        parts.append(f"{name}: {said or 'inga'}")
    alt = "Liggande staplar med antal per status. " + ". ".join(parts) + "."
    return Chart(_png(fig), alt, 13.0)  # the first page holds the proposal, the summary and the budget


def budget_bars(lines):
    """Budget and utfall/prognos per verksamhetsområde, two bars each, the amounts written beside them.

    `lines` = [(area, budget, actual)] in mnkr.
    """
    _style()
    fig = Figure(figsize=(6.3, 0.9 + 0.42 * len(lines)))
    ax = fig.subplots()
    names = [str(area) for area, _, _ in lines]
    positions = range(len(lines))
    height = 0.38
    budget = ax.barh([p - height / 2 for p in positions], [b for _, b, _ in lines], height, color=LIGHT,
                     edgecolor=INK, linewidth=0.6, label="Budget 2025")
    actual = ax.barh([p + height / 2 for p in positions], [a for _, _, a in lines], height, color=DARK,
                     edgecolor=INK, linewidth=0.6, label="Utfall/prognos")
    largest = max([max(b, a) for _, b, a in lines] or [1])
    for bars in (budget, actual):
        for bar in bars:
            ax.text(bar.get_width() + largest * 0.01, bar.get_y() + bar.get_height() / 2,
                    format_mnkr(bar.get_width()), va="center", fontsize=7.5, color=INK)
    ax.set_yticks(list(positions), names)
    ax.invert_yaxis()
    ax.set_xlim(0, largest * 1.15)
    ax.set_xlabel("mnkr")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: format_number(x)))  # decimal comma, as the table
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="lower right", frameon=True, fontsize=8)
    said = "; ".join(f"{area}: budget {format_mnkr(b)}, utfall/prognos {format_mnkr(a)}"
                     for area, b, a in lines)
    alt = f"Liggande staplar, budget och utfall/prognos i mnkr per verksamhetsområde. {said}."
    return Chart(_png(fig), alt, 15.5)


def prognosis_line(months):
    """The economy's utfall/prognos in total month by month, against the budget, the amounts written at
    each point (the table's decimals).

    `months` = [(month name, budget, utfall/prognos)] in mnkr, in the year's order.
    """
    _style()
    fig = Figure(figsize=(6.3, 2.6))
    ax = fig.subplots()
    names = [name for name, _, _ in months]
    positions = list(range(len(months)))
    ax.plot(positions, [b for _, b, _ in months], color=INK, linewidth=1.2, linestyle="--", marker="s",
            markersize=4, markerfacecolor="white", label="Budget")
    ax.plot(positions, [a for _, _, a in months], color=DARK, linewidth=1.8, marker="o", markersize=5,
            label="Utfall/prognos")
    for position, (_, _, actual) in zip(positions, months):
        ax.annotate(format_mnkr(actual), (position, actual), textcoords="offset points", xytext=(0, 7),
                    ha="center", fontsize=7.5, color=INK)
    ax.set_xticks(positions, names)
    ax.set_ylabel("mnkr")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: format_number(y)))
    low = min(min(b, a) for _, b, a in months)
    high = max(max(b, a) for _, b, a in months)
    margin = max((high - low) * 0.25, high * 0.005, 0.5)
    ax.set_ylim(low - margin, high + margin)
    ax.set_xlim(-0.5, len(months) - 0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False, fontsize=8.5)
    said = "; ".join(f"{name}: utfall/prognos {format_mnkr(a)} mot budget {format_mnkr(b)}" for name, b, a in months)
    alt = f"Linjediagram, utfall/prognos i mnkr per månad mot budgeten. {said}."
    return Chart(_png(fig), alt, 15.5)
