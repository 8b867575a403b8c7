"""Writes a tiny GeoLite2-City-shaped database for the tests."""
import sys

from mmdb_writer import MMDBWriter
from netaddr import IPSet

NETWORKS = {
    "81.2.69.0/24": ("London", "ENG", "England", "GB", "United Kingdom"),
    "216.160.83.0/24": ("Milton", "WA", "Washington", "US", "United States"),
    "89.160.20.0/24": ("Linköping", "E", "Östergötland County", "SE", "Sweden"),
}

writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City", languages=["en"])
for network, (city, region_code, region, country_code, country) in NETWORKS.items():
    writer.insert_network(
        IPSet([network]),
        {
            "city": {"names": {"en": city}},
            "subdivisions": [{"iso_code": region_code, "names": {"en": region}}],
            "country": {"iso_code": country_code, "names": {"en": country}},
        },
    )
writer.to_db_file(sys.argv[1])
