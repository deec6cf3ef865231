"""Write notebooks 05, 06, 07 and 00 (developer tool): ``python -m scripts.build_nb_05_07_00``.

The notebooks are thin: prose in Markdown cells, logic in ``sna/sections/``. Edit the cells
here and re-run to regenerate; analysts may also edit the notebooks directly in JupyterLab.
"""

from __future__ import annotations

from pathlib import Path

from scripts.nbbuild import write_notebook

ROOT = Path(__file__).resolve().parents[1]

NB05 = [
    ("md", "# Partnership and interventions"),
    ("md", "This chapter sets out who is in the partnership, what services and programmes are "
           "already in place to prevent and reduce serious violence, what they report, and "
           "where the need shown in the earlier chapters is not matched by a service."),
    ("md", "## The partnership under the Duty\n\n"
           "The Serious Violence Duty (Police, Crime, Sentencing and Courts Act 2022) requires "
           "the **specified authorities** to work together to prevent and reduce serious "
           "violence: the police, fire and rescue authorities, justice (probation services "
           "and youth offending teams), health (integrated care boards) and local authorities. "
           "Educational, prison and youth custody authorities are **relevant authorities**: "
           "they must co-operate with the partnership when asked. The local policing body "
           "(in London, the Mayor's Office for Policing and Crime) may support and monitor "
           "the work."),
    ("code", "partners = P.partnership_table(ch.cfg.partnership)\n"
             "if P.partnership_problems(ch.cfg.partnership):\n"
             "    ch.note(' '.join(P.partnership_problems(ch.cfg.partnership)), kind='warning')\n"
             "if partners.empty:\n"
             "    ch.note('The partnership is not listed in the configuration: add a '\n"
             "            '`partnership:` list (name, type, role, data_shared) to the area YAML.',\n"
             "            kind='missing')\n"
             "else:\n"
             "    ch.md('{s}', s=P.partnership_sentence(partners, ch.cfg.area.name))\n"
             "    ch.table(partners, 'partnership', 'Organisations in the partnership, their "
             "role and the data they share',\n"
             "             show=partners.rename(columns={'organisation': 'Organisation', "
             "'type': 'Type', 'role': 'Role',\n"
             "                                           'data_shared': 'Data shared'}))"),
    ("md", "## Interventions register\n\n"
           "These are the services and programmes named in the partnership's own reports, "
           "each tagged with a strand of work (for example domestic abuse, youth violence) and "
           "a type."),
    ("code", "register = P.register_table(P.frame_or_none(ch.cfg, 'interventions'), ch.cfg.min_count)\n"
             "if ch.has('interventions'):\n"
             "    ch.md('{s}', s=P.register_sentence(register))\n"
             "    ch.table(P.strand_by_group(register), None,\n"
             "             'Interventions by strand of work (rows) and type (columns)')\n"
             "else:\n"
             "    ch.not_supplied('interventions', 'the interventions register')"),
    ("md", "### How intervention types are grouped\n\n"
           "This assessment groups interventions into five types: **prevention**, **early "
           "intervention**, **enforcement**, **victim support** and **offender management**. "
           "The register uses its own categories as published. Most map directly; "
           "*partnership* entries (action plans, MARACs, incident meetings, reviews) are "
           "counted as prevention because they coordinate work to stop violence happening or "
           "happening again, and any *treatment* entries as early intervention. The table "
           "shows each published type, its group and why."),
    ("code", "if ch.has('interventions'):\n"
             "    ch.table(P.type_mapping(register), None,\n"
             "             'Types used in the register and the group each is counted in',\n"
             "             show=P.type_mapping(register).rename(columns={\n"
             "                 'type_in_register': 'Type in register', 'sna_group': "
             "'Counted as',\n"
             "                 'interventions': 'Interventions', 'why': 'Why'}))"),
    ("md", "### The register\n\n"
           "Every entry as supplied, with the group it is counted in. Numbers below 5 in the "
           "reported outputs are written \"fewer than 5\"."),
    ("code", "if ch.has('interventions'):\n"
             "    ch.table(register, 'interventions', 'Interventions register (as supplied), "
             "with type group and ward coverage',\n"
             "             show=P.register_display(register))"),
    ("md", "## Outputs and effectiveness\n\n"
           "What the interventions report is mostly activity (referrals, meetings, people "
           "supported), not outcomes. Activity shows a service is running; it does not show "
           "that violence fell because of it. Outcome figures, where partners publish them, "
           "follow."),
    ("code", "outputs = P.reported_outputs(register)\n"
             "if len(outputs):\n"
             "    ch.table(outputs, None, 'Reported outputs, as published by each service',\n"
             "             show=outputs.rename(columns={'intervention': 'Intervention', "
             "'strand': 'Strand',\n"
             "                                          'type_group': 'Type', "
             "'reported_output': 'Reported output',\n"
             "                                          'source_doc': 'Source'}))\n"
             "elif ch.has('interventions'):\n"
             "    ch.md('No intervention in the register reports an output.')"),
    ("code", "indicators = P.frame_or_none(ch.cfg, 'partner_indicators')\n"
             "effect = P.effectiveness_table(indicators, [ch.cfg.area.name, 'London', "
             "*ch.cfg.area.bcu],\n"
             "                               ch.cfg.min_count)\n"
             "if indicators is None:\n"
             "    ch.not_supplied('partner_indicators', 'partner indicators (IOM, action plan "
             "progress and other outcomes)')\n"
             "elif effect.empty:\n"
             "    ch.md('The partner indicators hold no outcome or action-plan figures "
             "(reoffending, action plan progress, satisfaction).')\n"
             "else:\n"
             "    ch.md('{s}', s=P.iom_sentence(indicators, ch.cfg.area.name))\n"
             "    ch.table(effect, None, 'Outcome and action-plan figures reported by partners "
             "(as published)',\n"
             "             show=effect.rename(columns={'measure': 'Measure', 'area': 'Area', "
             "'period': 'Period',\n"
             "                                         'value': 'Value', 'unit': 'Unit', "
             "'source_doc': 'Source'}))"),
    ("md", "## Gap analysis\n\n"
           "The gap analysis sets where violence need is highest against the interventions "
           "that reach those places and people.\n\n"
           "- A ward has **high violence need** if, for a serious violence indicator, it is a "
           "statistically significant **hot spot** (chapter 03) or a **persistent** hot spot "
           "(hot in several recent windows), or if it is in the **top tenth of wards** by its "
           "smoothed serious violence rate.\n"
           "- A ward is **reached** when an intervention of the relevant strand (general "
           "violence or youth violence and exploitation; sexual violence for sexual offences) "
           "names the ward or says it works borough-wide.\n"
           "- Where no intervention names the ward but some do not say where they work, the "
           "answer is **cannot tell**: the register does not hold the information."),
    ("code", "tables = G.gap_tables(ch)\n"
             "missing = G.missing_chapter_tables(tables)\n"
             "if missing:\n"
             "    ch.note(missing, kind='warning')\n"
             "wards = ch.load('wards').frame\n"
             "gap, risks = G.build_gap(wards, register, tables)\n"
             "if gap is None:\n"
             "    ch.md('Ward-level need could not be assessed in this run, so no ward gap "
             "table or map is shown.')\n"
             "else:\n"
             "    ch.md('{s}', s=G.gap_sentence(gap, ch.cfg.area.name))\n"
             "    ch.publish(gap, 'gap_analysis')\n"
             "    ch.table(G.gap_display(gap), None, 'Wards with high violence need and the "
             "interventions known to reach them')"),
    ("code", "drawn = G.gap_map(wards, gap) if gap is not None else None\n"
             "if drawn:\n"
             "    ch.figure(drawn[0], alt=drawn[1], caption='For each ward that no intervention "
             "is known to reach: the number of need flags it has (hot spot, persistent hot spot, "
             "top tenth by rate). 0 = reached, or no high need. Wards per class in brackets.')\n"
             "elif gap is not None:\n"
             "    ch.md('No map is drawn: every ward with high need is reached by an "
             "intervention, or no ward has high need.')"),
    ("md", "### Risk factors against interventions\n\n"
           "Risk factors where the borough is worse than London (chapter 04) are matched to the "
           "strand of work that addresses them (for example school exclusions to youth "
           "violence and exploitation). Risk factors are borough-wide figures, so this is a "
           "check that the right kind of service exists, not that it reaches everyone "
           "affected."),
    ("code", "if tables['risk_factors'] is None:\n"
             "    ch.md('The risk factors table of chapter 04 is not available in this run.')\n"
             "elif risks.empty:\n"
             "    ch.md('No risk factor is recorded as worse than London.')\n"
             "else:\n"
             "    ch.table(risks, 'risk_factor_coverage', 'Risk factors worse than London and "
             "the interventions in the matching strand',\n"
             "             show=risks.rename(columns={'factor': 'Risk factor', 'area_value': "
             "ch.cfg.area.name,\n"
             "                                        'london_value': 'London', 'unit': 'Unit',"
             " 'strand': 'Strand',\n"
             "                                        'interventions': 'Interventions', 'gap':"
             " 'Gap'}))"),
    ("code", "G.record_findings(ch, register, gap, risks)"),
]

NB06 = [
    ("md", "# Recommendations, plan and monitoring"),
    ("md", "This chapter turns the evidence into recommendations, sets out who will act on "
           "them and by when, and lists the measures the partnership will track to see "
           "whether things improve."),
    ("code", "context = RU.context_for(ch)\n"
             "rules = RU.load_rules(ch.cfg.recommendations)\n"
             "recs = RU.generate(rules, context)\n"
             "ch.publish(recs, 'recommendations')"),
    ("md", "## Recommendations\n\n"
           "Each recommendation comes from a rule applied to this run's figures (for example "
           "\"a statistically significant rise in an indicator over 12 months\"), or was added "
           "by the partnership's analysts. Each gives the number behind it and a link to the "
           "evidence. The rules and their wording are kept in a file analysts can edit "
           "(`config/recommendation_rules.yaml`)."),
    ("code", "if recs.empty:\n"
             "    ch.md('No rule was triggered by this run and no recommendation has been added "
             "by analysts.')\n"
             "else:\n"
             "    ch.md(R.recommendations_markdown(recs, sna.chapter.CHAPTERS))"),
    ("md", "### How the recommendations were made"),
    ("code", "ch.table(RU.rule_outcomes(rules, recs, context), None,\n"
             "         'Rules applied to this run and the recommendations each made',\n"
             "         show=RU.rule_outcomes(rules, recs, context).rename(columns={\n"
             "             'rule': 'Rule', 'test': 'Test', 'reads': 'Reads', "
             "'recommendations': 'Recommendations made',\n"
             "             'note': 'Note'}))"),
    ("md", "## Implementation plan\n\n"
           "Lead, partners, timescale and measure for each recommendation come from the "
           "partnership's plan (`config/implementation_plan.yaml`). Where the plan has no "
           "entry yet, the table says \"to be agreed\"."),
    ("code", "plan = R.implementation_plan(recs, R.load_plan(ch.cfg.plan))\n"
             "ch.table(plan, 'implementation_plan', 'Implementation plan: who leads each "
             "recommendation, with whom, by when, measured how',\n"
             "         show=plan.drop(columns='id').rename(columns={\n"
             "             'recommendation': 'Recommendation', 'lead': 'Lead', 'partners': "
             "'Partners',\n"
             "             'timescale': 'Timescale', 'measure': 'Measure'}))"),
    ("md", "## Monitoring and evaluation framework\n\n"
           "Every indicator of the performance dashboard is monitored. The **baseline** is "
           "this assessment's 12-month figure; the **latest quarter** is the most recent three "
           "months, compared with the same three months a year earlier. The wanted direction "
           "is down for every crime indicator (for possession of weapons a rise can also "
           "reflect more proactive policing). Targets come from the area configuration; where "
           "none is set the table says so. Each quarterly refresh of this assessment fills in "
           "the latest figures against the same measures."),
    ("code", "dashboard = context.tables['performance_dashboard']\n"
             "if dashboard is None:\n"
             "    ch.note('The performance dashboard of chapter 02 is not available in this "
             "run: baselines are blank.', kind='warning')\n"
             "framework = ch.publish(R.monitoring_framework(dashboard, ch.cfg.targets, "
             "ch.period), 'monitoring_framework',\n"
             "                       count_cols=['baseline_count', 'latest_count'],\n"
             "                       dependent={'baseline_count': ['baseline_rate_per_1000'],\n"
             "                                  'latest_count': ['latest_change_pct']})\n"
             "ch.table(R.monitoring_display(framework), None, 'Monitoring and evaluation "
             "framework: baseline, latest quarter, direction and target per indicator. Data are "
             "monthly; the framework is reviewed each quarter.')"),
    ("code", "R.record_findings(ch, recs)"),
]

NB07 = [
    ("md", "# Methodology and data inventory"),
    ("md", "This chapter explains how the figures in this assessment were produced: the "
           "definitions, the time periods compared, the statistical methods, how small "
           "numbers are protected, the limits of the analysis, and every data source used "
           "or missing."),
    ("md", "## Definitions\n\n"
           "Serious violence is measured from police-recorded crime as published by the "
           "Metropolitan Police. The Serious Violence Duty guidance names homicide, violence "
           "against the person with injury, robbery, sexual offences and weapons offences; "
           "the table shows which published offence categories make up each indicator, and "
           "where a change in recording breaks a series."),
    ("code", "definitions = M.definitions_table()\n"
             "ch.table(definitions, 'definitions', 'Indicator definitions: the published offence "
             "categories in each indicator',\n"
             "         show=definitions[['label', 'description', 'categories', "
             "'series_breaks']].rename(columns={\n"
             "             'label': 'Indicator', 'description': 'What it covers', "
             "'categories': 'MPS categories',\n"
             "             'series_breaks': 'Series breaks'}))"),
    ("code", "ch.table(M.cannot_separate_table(), None, 'What the published crime data cannot "
             "separate, and the data that would',\n"
             "         show=M.cannot_separate_table().rename(columns={'item': 'Topic', 'why': "
             "'Why not', 'data_needed': 'Data needed'}))"),
    ("md", "## Time windows\n\n"
           "Figures cover the **latest 12 months** and the **latest 3 months** ending at the "
           "assessment period. Each is compared with the same months a year earlier, so that "
           "seasonal patterns do not look like change."),
    ("code", "ch.table(M.windows_table(ch.period), None, 'Windows used in this assessment and "
             "their comparison windows',\n"
             "         show=M.windows_table(ch.period).rename(columns={'window': 'Window', "
             "'months': 'Months',\n"
             "                                                     'compared_with': 'Compared "
             "with'}))"),
    ("md", "## Statistical methods\n\n"
           "- **Rates** are offences per 1,000 residents (Census 2021 usual residents). A "
           "3-month rate is not annualised.\n"
           "- **Confidence intervals** (95%) for counts and rates follow the method used by "
           "PHE/OHID Fingertips: exact Poisson limits for counts below 10 and Byar's "
           "approximation from 10 (Public Health England, *Technical Guide: Confidence "
           "Intervals*, 2018; Breslow & Day, 1987).\n"
           "- **Change** against the same window a year earlier is tested with the score test "
           "for the ratio of two Poisson rates (statsmodels `test_poisson_2indep`; Gu, Ng, "
           "Tang & Schucany, 2008). \"Significant\" means p < 0.05.\n"
           "- **Comparison with London** uses ranks of borough rates (1 = lowest rate) and "
           "**funnel plots** with 95% and 99.8% control limits (Spiegelhalter, 2005, "
           "*Statistics in Medicine* 24:1185-1202).\n"
           "- **Hot spots** are found with the Getis-Ord Gi* statistic on neighbouring wards "
           "(Getis & Ord, 1992, *Geographical Analysis* 24:189-206; Ord & Getis, 1995, "
           "*Geographical Analysis* 27:286-306), with permutation p-values and the "
           "Benjamini-Hochberg false discovery rate control (Benjamini & Hochberg, 1995, "
           "*JRSS B* 57:289-300). A **persistent** hot spot is hot in several successive "
           "windows.\n"
           "- **Smoothed ward rates** use global Empirical Bayes shrinkage (Marshall, 1991, "
           "*Applied Statistics* 40:283-294), so that wards with few residents do not show "
           "extreme rates by chance.\n"
           "- **Risk factor models** are Poisson and negative binomial regressions of ward "
           "counts with the log of population as an offset (McCullagh & Nelder, 1989)."),
    ("md", "## Disclosure control"),
    ("code", "ch.md('Counts from 1 to {hi} are never published: they are shown as blank "
             "(\"–\" or \"fewer than {m}\" in text). Rates, percentages and changes worked "
             "out from a hidden count are hidden too. Where hidden cells and a published total "
             "would let someone work a hidden count out by subtraction, further cells are "
             "hidden (secondary suppression). Zeros are published. Every table and page is "
             "checked for small counts before the assessment is released.', hi=ch.cfg.min_count "
             "- 1, m=ch.cfg.min_count)"),
    ("md", "## Caveats\n\n"
           "- **Ecological inference.** Links between violence and area characteristics "
           "(deprivation, young people, housing) are between *areas*, not *people*. A ward "
           "with high deprivation and high violence does not show that deprived residents "
           "commit or suffer the violence.\n"
           "- **Recorded crime** measures what is reported to and recorded by the police; "
           "changes in reporting, recording practice or police activity change the figures. "
           "Possession of weapons rises with proactive policing.\n"
           "- **Where an offence is recorded** is where it happened, not where victims or "
           "offenders live; town centres and transport hubs have high rates per resident.\n"
           "- **Small areas and short windows** give unstable figures; look at confidence "
           "intervals and the 12-month window before the 3-month one.\n"
           "- **Partner figures** are transcribed from published board papers, as published, "
           "including the papers' own rounding and inconsistencies.\n\n"
           "The full assumptions log is `docs/assumptions_caveats.md` in the workbook."),
    ("md", "## Data inventory"),
    ("code", "manifest = M.read_manifest(ch.output_dir)\n"
             "inventory = M.data_inventory(manifest, ch.cfg, P.frame_or_none(ch.cfg, "
             "'data_sources'))\n"
             "if manifest is None:\n"
             "    ch.note('This notebook was run by hand, not with `sna run`: row counts, months "
             "and quality flags are filled in by a full run.', kind='info')\n"
             "ch.md('{s}', s=M.inventory_sentence(inventory))\n"
             "ch.publish(inventory, 'data_inventory')\n"
             "used = inventory['status'].str.startswith('used')\n"
             "ch.table(M.inventory_display(inventory[used]), None, 'Data inventory: every source "
             "used, who publishes it, its licence, coverage and quality notes')"),
    ("md", "## What is missing\n\n"
           "Sources the configuration does not supply, and those the partnership's own "
           "data-source list records as not collected. Health data (hospital A&E and "
           "ambulance call-outs) is the main gap: without it, violence that is not reported to "
           "the police cannot be seen."),
    ("code", "absent = M.inventory_display(inventory[~used])\n"
             "if absent.empty:\n"
             "    ch.md('Every optional source is supplied and the partnership records no "
             "uncollected data.')\n"
             "else:\n"
             "    ch.table(absent[['Source', 'Status', 'Publisher and licence', 'Quality notes']], None,\n"
             "             'Data not supplied to this run or not collected by the partnership')"),
    ("code", "M.record_findings(ch, inventory, manifest is not None)"),
]

NB00 = [
    ("md", "# Executive summary"),
    ("code", "findings = S.read_all(ch)\n"
             "status = S.chapter_status(ch.output_dir, findings)\n"
             "missing = S.missing_chapters(status)\n"
             "heads = S.headlines(S.usable_findings(findings, status))\n"
             "ch.md('{s}', s=S.opening_paragraph(ch.cfg.area.name, ch.period, missing))\n"
             "if S.in_brief_markdown(heads):\n"
             "    ch.md(S.in_brief_markdown(heads))\n"
             "if missing:\n"
             "    ch.note('Not available in this run: ' + '; '.join(missing) + '. Their findings "
             "are not in this summary.', kind='warning')"),
    ("md", "## Key findings\n\n"
           "Each finding links to the chapter section with the evidence."),
    ("code", "selected = S.key_findings(S.usable_findings(findings, status))\n"
             "if selected:\n"
             "    ch.md(S.findings_markdown(selected))\n"
             "else:\n"
             "    ch.md('No chapter recorded key findings in this run.')"),
    ("md", "## Chapters in this assessment"),
    ("code", "ch.table(S.status_display(status), None, 'Chapters of this assessment and whether "
             "each completed in this run')"),
    ("md", "## SNA component coverage\n\n"
           "The Serious Violence Duty needs assessment has eleven components. The table shows "
           "where each is covered."),
    ("code", "ch.table(S.components_table(status), None, 'The eleven SNA components and where "
             "each is covered',\n"
             "         show=S.components_table(status).rename(columns={'component': "
             "'Component', 'chapter': 'Chapter',\n"
             "                                                      'section': 'Section', "
             "'status': 'Status'}))"),
    ("md", "## Data pack"),
    ("code", "ch.finding(S.headline(ch.cfg.area.name, heads, missing), kind='headline')\n"
             "ch.md('Every published table is in one Excel workbook, one sheet per table, with a "
             "Notes sheet describing each: [{name}](../{name}). The same tables are in the '\n"
             "      '`tables/` folder as CSV files.',\n"
             "      name='data_pack.xlsx')"),
]


def _quiet(cells: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """End a code cell with ';' when its last statement returns a frame (ch.table/ch.publish),
    so Jupyter does not print the frame under the published table."""
    out = []
    for kind, text in cells:
        lines = text.splitlines()
        last = max((i for i, line in enumerate(lines) if line and not line[0].isspace()),
                   default=0)
        if kind == "code" and lines[last].startswith(("ch.table(", "ch.publish(")):
            text += ";"
        out.append((kind, text))
    return out


def main() -> None:
    """Write the four notebooks into ``notebooks/``."""
    nbs = ROOT / "notebooks"
    write_notebook(str(nbs / "05_partnership_interventions.ipynb"),
                   "05_partnership_interventions", _quiet(NB05),
                   imports="import sna.sections.gaps as G\n"
                           "import sna.sections.partnership as P")
    write_notebook(str(nbs / "06_recommendations.ipynb"), "06_recommendations", _quiet(NB06),
                   imports="import sna.sections.recommendations as R\n"
                           "import sna.sections.rules as RU")
    write_notebook(str(nbs / "07_methodology.ipynb"), "07_methodology", _quiet(NB07),
                   imports="import sna.sections.methodology as M\n"
                           "import sna.sections.partnership as P")
    write_notebook(str(nbs / "00_summary.ipynb"), "00_summary", _quiet(NB00),
                   imports="import sna.sections.summary as S")


if __name__ == "__main__":
    main()
