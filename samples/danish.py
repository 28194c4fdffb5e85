"""Realistic Danish (and a few Nordic/German) customer data for the sample generator.

Real street names, real postal code/city pairs, CVR numbers (8 digits), EAN location numbers
(13 digits, 5790...), phone numbers in the usual Danish spellings. Everything is drawn from a
``random.Random`` handed in, so a seed gives the same data every time.
"""

from __future__ import annotations

import random
import re
from typing import Any

# fmt: off
SURNAMES = (
    "Hansen", "Jensen", "Nielsen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
    "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen",
    "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen", "Knudsen", "Mikkelsen",
    "Frederiksen", "Laursen", "Holm", "Schmidt", "Kjær", "Bach", "Dahl", "Lund", "Skov",
    "Vestergaard", "Bak", "Iversen", "Jakobsen", "Østergaard", "Nørgaard", "Brødsgaard",
    "Sønderby", "Ærø",
)
TRADES = (
    "Tømrer", "VVS", "El-service", "Maler", "Murer", "Bager", "Slagter", "Auto", "Revision",
    "Transport", "Blomster", "Entreprenør", "Smedie", "Kloakservice", "Tag & Facade",
    "Rengøring", "Isenkram", "Cykler", "Køleteknik", "IT", "Grafisk", "Tandlægeklinik",
    "Frisør", "Ejendomsservice", "Glarmester", "Anlægsgartner", "Vinduespolering", "Snedker",
)
PREFIXES = (
    "Nordisk", "Dansk", "Jysk", "Fynsk", "Sjællands", "Nordjysk", "Vestjysk", "Østjysk",
    "Midtjysk", "Sydfyns", "Himmerlands", "Øresunds", "Limfjordens", "Bornholms", "Djurslands",
)
SUFFIXES = ("ApS", "ApS", "ApS", "A/S", "A/S", "I/S", "K/S", "& Søn", "& Co.", "")
STREETS = (
    "Vestergade", "Østergade", "Nørregade", "Søndergade", "Algade", "Jernbanegade",
    "Strandvejen", "Vesterbrogade", "Nørrebrogade", "Amagerbrogade", "Frederiksberg Allé",
    "Hovedgaden", "Industrivej", "Håndværkervej", "Fabriksvej", "Bredgade", "Kongensgade",
    "Skolegade", "Møllevej", "Kirkevej", "Lyngbyvej", "Roskildevej", "Ringvejen", "Bygaden",
    "Stationsvej", "Havnegade", "Torvet", "Store Kongensgade", "H.C. Andersens Boulevard",
    "Åboulevarden", "Banegårdspladsen", "Ellehammersvej", "Rugårdsvej", "Vejlevej",
    "Silkeborgvej", "Herningvej", "Grenåvej", "Hobrovej", "Søren Frichs Vej", "Jyllandsgade",
    "Danmarksgade", "Æblehaven", "Ørstedsvej", "Gammel Kongevej", "Næstvedvej",
)
#: Real postal code / city pairs; 0800 and 0555 exercise leading zeros.
DK_PLACES = (
    ("1050", "København K"), ("1620", "København V"), ("2100", "København Ø"),
    ("2200", "København N"), ("2300", "København S"), ("2500", "Valby"), ("2600", "Glostrup"),
    ("2610", "Rødovre"), ("2630", "Taastrup"), ("2650", "Hvidovre"), ("2730", "Herlev"),
    ("2750", "Ballerup"), ("2800", "Kongens Lyngby"), ("2900", "Hellerup"),
    ("2970", "Hørsholm"), ("3000", "Helsingør"), ("3400", "Hillerød"),
    ("3600", "Frederikssund"), ("4000", "Roskilde"), ("4100", "Ringsted"),
    ("4200", "Slagelse"), ("4600", "Køge"), ("4700", "Næstved"), ("4800", "Nykøbing F"),
    ("5000", "Odense C"), ("5700", "Svendborg"), ("6000", "Kolding"), ("6100", "Haderslev"),
    ("6200", "Aabenraa"), ("6400", "Sønderborg"), ("6700", "Esbjerg"), ("6800", "Varde"),
    ("7000", "Fredericia"), ("7100", "Vejle"), ("7400", "Herning"), ("7500", "Holstebro"),
    ("7800", "Skive"), ("8000", "Aarhus C"), ("8200", "Aarhus N"), ("8600", "Silkeborg"),
    ("8700", "Horsens"), ("8800", "Viborg"), ("8900", "Randers C"), ("9000", "Aalborg"),
    ("9800", "Hjørring"), ("9900", "Frederikshavn"),
)
LEADING_ZERO_PLACES = (("0800", "Høje Taastrup"), ("0555", "Scanning"))
#: country -> (vat zone, currency, places, streets, company names)
FOREIGN = {
    "Sverige": (2, "SEK",
        (("211 20", "Malmö"), ("411 05", "Göteborg"), ("111 22", "Stockholm"),
         ("252 25", "Helsingborg")),
        ("Storgatan", "Drottninggatan", "Kungsgatan", "Södra Förstadsgatan"),
        ("Svensk Bygg AB", "Malmö Trä AB", "Nordic Verktyg AB", "Skånes Kakel AB",
         "Öresund Logistik AB", "Göteborgs Måleri AB"),
    ),
    "Tyskland": (2, "EUR",
        (("24937", "Flensburg"), ("20095", "Hamburg"), ("24103", "Kiel"), ("10115", "Berlin")),
        ("Hauptstraße", "Bahnhofstraße", "Große Straße", "Holstenstraße"),
        ("Nordsee Handel GmbH", "Müller Bau GmbH", "Schmidt & Söhne KG", "Förde Technik GmbH",
         "Hanse Großhandel GmbH", "Kieler Küchen GmbH"),
    ),
    "Norge": (3, "NOK",
        (("0150", "Oslo"), ("5003", "Bergen"), ("7011", "Trondheim")),
        ("Karl Johans gate", "Storgata", "Bryggen"),
        ("Norsk Tre AS", "Fjord Fisk AS", "Bergen Rør AS", "Trøndelag Maskin AS"),
    ),
}
FIRST_NAMES = (
    "Mette", "Anne", "Kirsten", "Hanne", "Susanne", "Lene", "Camilla", "Louise", "Maria",
    "Sofie", "Ida", "Emma", "Birthe", "Bodil", "Åse", "Jens", "Peter", "Lars", "Michael",
    "Henrik", "Søren", "Thomas", "Anders", "Niels", "Rasmus", "Morten", "Jesper", "Mads",
    "Frederik", "Jørgen", "Bjørn", "Øjvind",
)
TERMS_OF_DELIVERY = (
    "Leveres ved bagdøren", "Ring 30 min. før levering", "Levering hverdage kl. 7-15",
    "Ab lager", "Frit leveret", "DAP", "Afhentes af kunden", "Aflæsses ved port 2",
)
# fmt: on
#: Town names for "Aarhus VVS A/S"-style company names.
TOWNS = tuple(sorted({c.split()[0] for _, c in DK_PLACES} - {"Kongens"} | {"Lyngby"}))
VAT_PREFIX = {"Sverige": "SE", "Tyskland": "DE", "Norge": "NO"}
_ASCII = str.maketrans(
    {"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e"}
)


def slug(text: str) -> str:
    """``"Nordisk Tømrer ApS"`` -> ``"nordisktoemrer"`` (for e-mail and web domains)."""
    text = re.sub(r"\b(ApS|A/S|I/S|K/S|AB|AS|GmbH|KG)\b|& Søn|& Co\.|& Söhne", "", text)
    return re.sub(r"[^a-z0-9]", "", text.lower().translate(_ASCII))


class Fake:
    """Draws Danish-looking values from ``rng``; company names never repeat."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._used: set[str] = set()

    def company(self) -> str:
        r = self.rng
        while True:
            pattern = r.randrange(4)
            if pattern == 0:
                name = f"{r.choice(SURNAMES)} {r.choice(TRADES)} {r.choice(SUFFIXES)}"
            elif pattern == 1:
                name = f"{r.choice(TRADES)} {r.choice(SURNAMES)} & Søn"
            elif pattern == 2:
                name = f"{r.choice(PREFIXES)} {r.choice(TRADES)} {r.choice(SUFFIXES)}"
            else:
                name = f"{r.choice(TOWNS)} {r.choice(TRADES)} A/S"
            name = name.strip()
            if name not in self._used:
                self._used.add(name)
                return name

    def foreign_company(self, country: str) -> str:
        names = [n for n in FOREIGN[country][4] if n not in self._used] or [self.company()]
        name = self.rng.choice(names)
        self._used.add(name)
        return name

    def street(self, streets: tuple[str, ...] = STREETS) -> str:
        number = self.rng.randint(1, 180)
        letter = self.rng.choice(("", "", "", "", "A", "B"))
        return f"{self.rng.choice(streets)} {number}{letter}"

    def place(self) -> tuple[str, str]:
        return self.rng.choice(DK_PLACES)

    def phone(self) -> str:
        digits = str(self.rng.choice((2, 3, 4, 5, 6, 7, 8, 9))) + "".join(
            str(self.rng.randrange(10)) for _ in range(7)
        )
        style = self.rng.randrange(3)
        pairs = " ".join(digits[i : i + 2] for i in range(0, 8, 2))
        return ("+45 " + pairs, digits, pairs)[style]

    def digits(self, n: int, first: str = "") -> str:
        head = first or str(self.rng.randint(1, 9))
        return head + "".join(str(self.rng.randrange(10)) for _ in range(n - len(head)))

    def cvr(self) -> str:
        return self.digits(8)

    def ean(self) -> str:
        return self.digits(13, "5790")

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)}"

    def credit(self) -> int | None:
        return self.rng.choice((None, 5000, 10000, 25000, 50000, 75000, 100000, 250000))

    def foreign(self, country: str) -> dict[str, Any]:
        zone, currency, places, streets, _ = FOREIGN[country]
        zip_, city = self.rng.choice(places)
        return {
            "zone": zone,
            "currency": currency,
            "zip": zip_,
            "city": city,
            "address": self.street(streets),
            "vat": VAT_PREFIX[country] + self.digits(10),
        }
