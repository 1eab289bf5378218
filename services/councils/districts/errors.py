from shared.problems import NotFound


class DistrictNotFound(NotFound):
    code = "district-not-found"
    title = "District not found"

    def __init__(self, district_code: str) -> None:
        super().__init__(f"no district has code {district_code}", field="path.code")


class RegionGroupingNotFound(NotFound):
    code = "region-grouping-not-found"
    title = "Region grouping not found"

    def __init__(self, grouping: str) -> None:
        super().__init__(f"no region grouping is called {grouping}", field="query.grouping")
