"""The NPS trend chart as numbers for a server-rendered SVG (no JavaScript)."""

from django.utils.formats import date_format

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 36
GRID = (100, 50, 0, -50, -100)


def _y(nps: float) -> float:
    return round(TOP + (100 - nps) / 200 * (HEIGHT - TOP - BOTTOM), 1)


def trend_chart(trend: list[dict]) -> dict:
    """Points, line segments (broken where a month has no answers) and grid lines for
    `selectors.nps_trend`'s rows, in a WIDTH by HEIGHT box."""
    count = max(len(trend), 1)
    step = (WIDTH - LEFT - RIGHT) / max(count - 1, 1)
    points, segments, current = [], [], []
    for index, row in enumerate(trend):
        x = round(LEFT + index * step, 1)
        label = date_format(row["month"], "M y")
        point = {"x": x, "label": label, "nps": row["nps"], "responses": row["responses"],
                 "y": _y(row["nps"]) if row["nps"] is not None else None}
        points.append(point)
        if row["nps"] is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(f"{x},{point['y']}")
    if current:
        segments.append(current)
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
        "label_y": HEIGHT - BOTTOM + 20,
        "grid": [{"value": value, "y": _y(value)} for value in GRID],
        "points": points, "lines": [" ".join(segment) for segment in segments],
    }
