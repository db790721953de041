"""Words and units a planner reads in the report: a metric's label ("Mean
wait"), its axis label with units ("Mean wait [min]"), shares in %, and a
swept key's label ("Counters (general)").

A metric's label is the file's `long_name` when it has one, else its name
made readable; its units are the file's `units` (UDUNITS) or older `unit`.
A unit of "1" is a ratio or a count: it is not printed, and the shares and
utilisations among them are shown in %.
"""
import math
import re

# Labels for the metrics a report shows by default, where the name alone reads badly.
_NAMED = {
    "wait_mean_min": "Mean wait", "wait_p50_min": "Median wait", "wait_p90_min": "90th percentile wait",
    "wait_p95_min": "95th percentile wait", "wait_max_min": "Longest wait",
    "share_wait_over_10min": "Share waiting over 10 min", "share_waited": "Share who waited",
    "counter_utilization": "Counter utilisation", "slot_utilization": "Appointment slot utilisation",
    "appointment_wait_mean_min": "Appointment holders' mean wait past slot start",
    "expected_infections_customers": "Expected infections of customers",
    "expected_infections_staff": "Expected infections of staff",
    "share_within": "Share within the standard", "met": "Days the standard is met",
    "arrivals": "Arrivals", "occupancy": "Customers inside", "queue_length": "Customers waiting",
    "counters_open": "Counters open", "concentration": "Airborne quanta concentration",
}
_PERCENT_NAMES = ("share_within", "met")


def units(entry):
    """A dataset's units: `units` (CF) or the older `unit`; "" when none."""
    u = entry.get("units") or entry.get("unit") or ""
    return "" if u == "1" else u


def is_percent(name):
    """Shares and utilisations (ratios of 0 to 1) are shown in %."""
    base = name.split("/")[-1].split("[")[0]
    return base.startswith("share_") or base.endswith("_utilization") or base in _PERCENT_NAMES


def scale(name):
    return 100.0 if is_percent(name) else 1.0


def humanise(name):
    """A metric or key name as words: wait_p90_min -> "90th percentile wait"."""
    if name in _NAMED:
        return _NAMED[name]
    words = [w for w in name.split("_") if w]
    if len(words) > 1 and words[-1] == "min":
        words = words[:-1]
    front = []
    for i, w in enumerate(list(words)):
        m = re.fullmatch(r"p(\d\d)", w)
        if m:
            front.append(f"{m.group(1)}th percentile")
            words.remove(w)
        elif w == "mean" and i:
            front.append("mean")
            words.remove(w)
    text = " ".join(front + [re.sub(r"^(\d+)min$", r"\1 min", w) for w in words])
    return text[:1].upper() + text[1:]


def metric_label(name, entry):
    """The file's long_name, else the name made readable (first letter upper case)."""
    long_name = (entry or {}).get("long_name") or ""
    if long_name:
        return long_name[:1].upper() + long_name[1:]
    return humanise(name)


def axis_label(name, entry):
    """"Mean wait [min]", "Counter utilisation [%]", "Abandoned" (a count: unit 1)."""
    label = metric_label(name.split("/")[-1].split("[")[0], entry)
    u = "%" if is_percent(name) else units(entry)
    return f"{label} [{u}]" if u else label


def _entity_name(entry):
    if isinstance(entry, dict):
        for field in ("name", "role"):
            if isinstance(entry.get(field), str):
                return entry[field]
    return None


def key_label(key, scenario=None):
    """A swept key as words: counters.0.count -> "Counters (general)",
    demand.customers_per_day -> "Customers per day"; scenario is the parsed
    scenario YAML (a dict) that names list entries, or None."""
    parts = key.split(".")
    entity = None
    idx = next((i for i, p in enumerate(parts) if p.isdigit()), None)
    if idx is not None and isinstance(scenario, dict):
        items = scenario.get(parts[idx - 1]) if idx else None
        if isinstance(items, list) and int(parts[idx]) < len(items):
            entity = _entity_name(items[int(parts[idx])])
    if parts[0] == "counters" and parts[-1] == "count":
        return f"Counters ({entity})" if entity else "Counters"
    label = humanise(parts[-1])
    if parts[-1].endswith("_min") and label.lower() != parts[-1]:
        label += " [min]"
    where = f"{parts[idx - 1]}: {entity}" if entity else (".".join(parts[:-1]) if len(parts) > 1 else "")
    return f"{label} ({where})" if where else label


def parse_scenario(yaml_text):
    """The scenario text as a dict, or None (no yaml module, or not a mapping)."""
    try:
        import yaml
        doc = yaml.safe_load(yaml_text)
    except Exception:  # a report without entity names is still a report
        return None
    return doc if isinstance(doc, dict) else None


def num(x, digits=4):
    """A number with `digits` significant digits; n/a when not finite."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "n/a"
    return f"{x:.{digits}g}" if math.isfinite(x) else "n/a"


def value_text(name, entry, mean, low=None, high=None):
    """"91.2 % [90.8, 91.6]", "0.812 min [0.56, 1.06]" or "12.3 [11, 13]"."""
    k = scale(name)
    u = " %" if is_percent(name) else (f" {units(entry)}" if units(entry) else "")
    text = f"{num(mean * k, 3)}{u}"
    if low is not None and high is not None and math.isfinite(low) and math.isfinite(high):
        text += f" [{num(low * k, 3)}, {num(high * k, 3)}]"
    return text
