from django.core.management.base import BaseCommand, CommandError

from disbursement.catalog.services import CatalogFileError, catalog_load
from geo.services import RegionFileError, regions_load


class Command(BaseCommand):
    help = "Load (or refresh) Hunan's region tree and the subsidy catalog. Safe to run again."

    def handle(self, *args, **options):
        try:
            regions = regions_load()
            catalog = catalog_load()
        except (RegionFileError, CatalogFileError) as exc:
            raise CommandError(str(exc)) from None
        if options["verbosity"] == 0:
            return
        self.stdout.write(
            "regions: province {province}, cities {city}, counties {county} "
            "(of which statistics-only zones {statistical}), townships {township}, villages {village}; "
            "retired {retired}".format(**regions)
        )
        self.stdout.write(
            "catalog {version}: {categories} categories, {items} items ({status})".format(**catalog)
        )
