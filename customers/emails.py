# kept until the open branches merge; removed in step 3
from kernel.emails import email_send

__all__ = ["email_send"]
