from shared.problems import NotFound


class DistrictNotFound(NotFound):
    code = "district-not-found"
    title = "District not found"
    title_ko = "자치구를 찾을 수 없음"

    def __init__(self, district_code: str) -> None:
        super().__init__(
            f"no district has code {district_code}",
            detail_ko=f"코드가 {district_code}인 자치구가 없습니다.",
            field="path.code",
        )


class RegionGroupingNotFound(NotFound):
    code = "region-grouping-not-found"
    title = "Region grouping not found"
    title_ko = "권역 구분을 찾을 수 없음"

    def __init__(self, grouping: str) -> None:
        super().__init__(
            f"no region grouping is called {grouping}",
            detail_ko=f"{grouping}(이)라는 권역 구분이 없습니다.",
            field="query.grouping",
        )
