"""Risk engine writes, one module per resource: limits, breaches (and the events they publish),
escalation, escalation policies, stress scenarios, the monitor. Reads live in selectors/."""
