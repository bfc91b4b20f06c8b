"""Country and organisation codes valid in an MRZ (ICAO Doc 9303 Part 3, section 5).

The list is ISO 3166-1 alpha-3 plus the codes ICAO reserves for special cases
(Germany's one-letter ``D``, British nationality classes, UN, stateless persons, ...).
``UTO`` (Utopia) is the fictional state of the ICAO specimens; it is accepted so that the
ICAO samples read as valid, and the policy layer treats it as not a real jurisdiction.
"""

from __future__ import annotations

_ISO_3166_ALPHA3 = """
ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA
BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN
CIV CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU
EGY ERI ESH ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB
GNQ GRC GRD GRL GTM GUF GUM GUY HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL
ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO
LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR
MTQ MUS MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER
PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM
SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK
TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM
VUT WLF WSM YEM ZAF ZMB ZWE
"""

# ICAO 9303-3 codes that are not ISO 3166-1 alpha-3 country codes.
_ICAO_SPECIAL = {
    "D": "Germany (one-letter code used in German documents)",
    "GBD": "British Overseas Territories Citizen",
    "GBN": "British National (Overseas)",
    "GBO": "British Overseas Citizen",
    "GBP": "British Protected Person",
    "GBS": "British Subject",
    "UNO": "United Nations Organization or one of its officials",
    "UNA": "Specialized agency of the United Nations or one of its officials",
    "UNK": "Resident of Kosovo to whom a travel document has been issued by UNMIK",
    "XXA": "Stateless person (1954 Convention)",
    "XXB": "Refugee (1951 Convention)",
    "XXC": "Refugee (other than under the 1951 Convention)",
    "XXX": "Person of unspecified nationality",
    "EUE": "European Union",
    "XOM": "Sovereign Military Order of Malta",
    "XPO": "International Criminal Police Organization (INTERPOL)",
    "XCC": "Caribbean Community (CARICOM)",
    "XCE": "Council of Europe",
    "XEC": "Economic Community of West African States (ECOWAS)",
    "XES": "Organisation of Eastern Caribbean States",
    "XMP": "Parliamentary Assembly of the Mediterranean",
    "XBA": "African Development Bank",
    "XIM": "African Export-Import Bank",
    "XDC": "Southern African Development Community",
    "XAG": "Andean Community",
    "RKS": "Kosovo (code used by Kosovo's own documents)",
    "UTO": "Utopia (fictional state of the ICAO specimens)",
}

ICAO_COUNTRY_CODES: frozenset[str] = frozenset(_ISO_3166_ALPHA3.split()) | frozenset(_ICAO_SPECIAL)

# Codes that name no real state: documents issued under them are specimens.
SPECIMEN_COUNTRY_CODES: frozenset[str] = frozenset({"UTO"})


def normalise_country_field(field: str) -> str:
    """Strip the ``<`` fillers of a 3-character MRZ country field (``D<<`` -> ``D``)."""
    return field.replace("<", "")


def is_known_country(code: str) -> bool:
    """True when ``code`` (fillers stripped or not) is in the ICAO 9303 list."""
    return normalise_country_field(code) in ICAO_COUNTRY_CODES
