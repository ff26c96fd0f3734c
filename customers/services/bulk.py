# kept until the open branches merge; removed in step 3
from kernel.bulk import insert_new, source_pairs_q, update_each

__all__ = ["insert_new", "source_pairs_q", "update_each"]
