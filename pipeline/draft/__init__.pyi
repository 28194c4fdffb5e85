"""The names other stages may use; the package loads each on first use."""

from .drafter import draft_mapping as draft_mapping
from .render import draft_summary as draft_summary
from .render import draft_table as draft_table
from .render import write_draft as write_draft
