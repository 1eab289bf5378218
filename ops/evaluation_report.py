"""The printed report of a loaded 2017 evaluation: each published result, the exclusions, the comparison by
rater type and its reliability, and what the run wrote."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ops.demo_evaluation import EvaluationDemo


def render(demo: "EvaluationDemo", comparison: dict[str, Any], published: list[dict[str, Any]]) -> str:
    by_id = {t.id: t for t in demo.targets}
    lines = [f"\n2017 시민협력플랫폼 성과평가 (주기 {demo.cycle_id}, API에서 읽음)"]
    for result in published:
        target = by_id[result["target_id"]]
        appealed = " (이의 제기 → 재심의)" if result["review_version"] == 2 else ""
        lines.append(
            f"  {target.district} {target.round}차: {result['total_display']}점"
            f" {result['category_ko']}{appealed}"
        )
    for district, rater in sorted(set(demo.excluded)):
        lines.append(f"  제척: {rater} 위원은 {district} 평가에서 제외 (선언된 관계)")
    lines.append("평가 주체별 비교 (대상 평균 총점, 자체·공무원·전문가)")
    for kind, label in (("self", "자체"), ("official", "공무원"), ("expert", "전문가")):
        total = comparison["totals"].get(kind) or {}
        lines.append(f"  {label}: {total.get('points')} (n={total.get('n')})")
    for key, diff in comparison["differences"].items():
        lines.append(f"  {key}: {diff.get('points')}")
    lines.append(f"  자체 평가가 가장 낮음 (seed 001의 발견): {comparison['self_lowest']}")
    for rel in comparison["reliability"]:
        iccs = ", ".join(f"{i['type']}={i['value']:.3f}" for i in rel["icc"])
        alpha = "없음" if rel["alpha_interval"] is None else f"{rel['alpha_interval']:.3f}"
        lines.append(
            f"  {rel['round']}차 신뢰도: 평가위원 {rel['raters']}명, Krippendorff α={alpha}"
            f" ({rel['units']} units); ICC ({rel['icc_units']} units): {iccs or '없음'}"
        )
    lines.append(
        f"{demo.created} evaluation records written, {demo.extensions} windows extended"
        f" ({'first load' if demo.created else 'already loaded'})."
    )
    return "\n".join(lines)
