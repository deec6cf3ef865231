"""The 11 SNA components (Barnet's SV Duty paper, ARCHITECTURE.md section 5) and where each
is covered: chapter id and section heading."""

from __future__ import annotations

COMPONENTS: list[tuple[int, str, str, str]] = [
    (1, "Serious Violence", "01_context_profile", "The serious violence definition used"),
    (2, "Methodology", "07_methodology", "Methods, definitions and data inventory"),
    (3, "Demographic and Socioeconomic Context", "01_context_profile", "Borough profile"),
    (4, "Serious Violence Data and Trends", "02_violence_trends", "Performance dashboard, trends "
     "and comparisons; spatial distribution in chapter 03"),
    (5, "Risk Factors and Vulnerable Populations", "04_risk_protective",
     "Deprivation, young people at risk, vulnerable populations"),
    (6, "Protective Factors and Assets", "04_risk_protective", "Protective factors and assets"),
    (7, "Stakeholder Engagement and Partnerships", "05_partnership_interventions",
     "The partnership under the Duty"),
    (8, "Current Interventions and Programs", "05_partnership_interventions",
     "Interventions register and gap analysis"),
    (9, "Recommendations", "06_recommendations", "Recommendations"),
    (10, "Implementation Plan", "06_recommendations", "Implementation plan"),
    (11, "Monitoring and Evaluation", "06_recommendations", "Monitoring and evaluation framework"),
]


def components_by_chapter() -> dict[str, list[str]]:
    """Chapter id -> component names it covers."""
    out: dict[str, list[str]] = {}
    for _, name, chapter, _ in COMPONENTS:
        out.setdefault(chapter, []).append(name)
    out.setdefault("03_spatial", []).append("Serious Violence Data and Trends (spatial)")
    out.setdefault("00_summary", []).append("All components (executive summary)")
    return out
