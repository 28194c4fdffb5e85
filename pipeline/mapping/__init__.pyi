"""The names other stages may use; the package loads each on first use."""

from .headers import HeaderMatch as HeaderMatch
from .headers import match_header as match_header
from .headers import match_key_header as match_key_header
from .headers import shared_prefix as shared_prefix
from .parse import identity_mapping as identity_mapping
from .parse import load_mapping as load_mapping
from .payload import build_payload as build_payload
from .payload import flatten as flatten
from .reference_names import PAYMENT_TERMS as PAYMENT_TERMS
from .reference_names import VAT_ZONES as VAT_ZONES
from .reference_names import ReferenceRecord as ReferenceRecord
from .reference_names import find_standard as find_standard
from .reference_names import reference_record as reference_record
from .reference_names import standard_numbers as standard_numbers
from .rules import PARENT_KEY as PARENT_KEY
from .rules import Mapping as Mapping
from .rules import apply_mapping as apply_mapping
from .rules import map_chunk as map_chunk
from .synonyms import FALSE_WORDS as FALSE_WORDS
from .synonyms import TRUE_WORDS as TRUE_WORDS
from .template import write_template as write_template
from .transforms import DECIMAL_COMMA as DECIMAL_COMMA
