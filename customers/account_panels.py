# kept until the open branches merge; removed in step 3
from kernel.panels import AccountPanel, panels_for, register

__all__ = ["AccountPanel", "panels_for", "register"]
