"""Risk engine models: limits (+ their audit trail), breaches (+ timeline), escalation policies and
alert deliveries, the monitor's state, stress scenarios."""

from .breaches import Breach, BreachEvent, BreachLevel, BreachStatus
from .escalation import AlertChannel, AlertDelivery, DeliveryStatus, EscalationLevel, EscalationPolicy
from .limits import LimitChange, RiskLimit
from .monitor import MonitorState
from .scenarios import StressScenario

__all__ = [
    "AlertChannel",
    "AlertDelivery",
    "Breach",
    "BreachEvent",
    "BreachLevel",
    "BreachStatus",
    "DeliveryStatus",
    "EscalationLevel",
    "EscalationPolicy",
    "LimitChange",
    "MonitorState",
    "RiskLimit",
    "StressScenario",
]
