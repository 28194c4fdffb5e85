"""The names other stages may use; the package loads each on first use."""

from .agreement import Agreement as Agreement
from .agreement import read_agreement as read_agreement
from .drafter import draft_mapping as draft_mapping
from .render import draft_notes as draft_notes
from .render import draft_summary as draft_summary
from .render import draft_table as draft_table
from .render import write_draft as write_draft
