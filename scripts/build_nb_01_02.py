"""Write notebooks/01_context_profile.ipynb and notebooks/02_violence_trends.ipynb (developer
tool).

Run from the project root: ``.venv/bin/python -m scripts.build_nb_01_02``. The notebooks are
thin: prose cells, and short code cells calling the chapter 01 modules
(:mod:`sna.sections.duty`, :mod:`~sna.sections.profile`, :mod:`~sna.sections.socioeconomic`) and
the chapter 02 modules (:mod:`sna.sections.trend_data`, :mod:`~sna.sections.trends`,
:mod:`~sna.sections.trend_series`, :mod:`~sna.sections.comparisons`,
:mod:`~sna.sections.other_sources`).
"""

from __future__ import annotations

from scripts.nbbuild import write_notebook

DUTY = """The **Serious Violence Duty** (Part 2, Chapter 1 of the Police, Crime, Sentencing \
and Courts Act 2022), in force since 31 January 2023, requires the *specified authorities* - \
the police, fire and rescue, probation and youth offending services, the integrated care board \
(health) and the local authority - to work together, with education, prison and youth custody \
authorities, to **prevent and reduce serious violence** in their area. Together they must:

1. agree what serious violence means locally (the definition below);
2. produce a **strategic needs assessment** - this document - setting out what serious \
violence happens, where, who is affected, and the factors behind it;
3. publish a **strategy** saying how they will prevent and reduce it; and
4. keep both under review and refresh them: the Home Office statutory guidance asks for the \
strategy to be reviewed every year, on up-to-date evidence such as this assessment.

This workbook is that evidence, rebuilt from published data each time it is run, so the \
partnership can refresh it whenever new data are released."""

DEFINITION = """The Duty leaves the definition to the partnership. The guidance names \
homicide, violence against the person (including knife and gun crime), serious sexual \
offences, robbery, weapons offences, domestic abuse, gangs, county lines and exploitation. \
Published police data can only show the *offence types* among these, so this assessment \
counts **serious violence** as the total of the recorded-crime categories below. The table is \
generated from the project's definitions file (`sna/definitions/indicators.yaml`), so it is \
exactly what the figures in every chapter count."""

PROFILE = """Each figure below compares the area with **London** (the 33 London local \
authorities added together) and comes with a one-sentence reading. The profile describes the \
borough's residents; it does not by itself explain violence (chapter 04 looks at risk \
factors neighbourhood by neighbourhood)."""

NB01 = [
    ("md", "# Context and borough profile"),
    ("code", "from sna.narrative import md_text\n"
             "from sna.sections import duty, profile, socioeconomic\n\n"
             "ch.md(f'This chapter sets out why **{md_text(ch.cfg.area.name)}** has a '\n"
             "      'Serious Violence Strategic Needs Assessment, what it counts as serious '\n"
             "      'violence, and who lives in the borough.')"),
    ("md", "## Purpose and the Serious Violence Duty"),
    ("md", DUTY),
    ("code", "ch.md(duty.duty_partners_text(ch.cfg))"),
    ("md", "## The serious violence definition used"),
    ("md", DEFINITION),
    ("code", "ch.md('**Serious violence** in this assessment: '\n"
             "      + md_text(duty.sv_definition_text()))\n"
             "ch.table(duty.definition_table(), None, 'Indicators used in this assessment and the '\n"
             "         'published police categories behind each (all data vintages)');"),
    ("md", "### What the published categories cannot separate"),
    ("md", "Some parts of the Duty's definition cannot be seen in published police data. They "
           "are gaps for partners to fill with their own data (chapter 07 lists the data "
           "sources)."),
    ("code", "ch.table(duty.cannot_separate_table(), None, 'What the published police categories '\n"
             "         'cannot separate, and the data that would');"),
    ("md", "## Borough profile"),
    ("md", PROFILE),
    ("md", "### Population and age"),
    ("code", "rows_population = profile.show_population(ch)"),
    ("md", "### Deprivation, work, qualifications and housing"),
    ("code", "rows_census = socioeconomic.show_census(ch)"),
    ("md", "### Neighbourhood deprivation (Index of Multiple Deprivation)"),
    ("code", "rows_imd = socioeconomic.show_imd(ch)"),
    ("md", "### Children in low-income families"),
    ("code", "rows_clif = socioeconomic.show_clif(ch)"),
    ("md", "### Profile summary"),
    ("code", "rows = profile.publish_profile(ch, [rows_population, rows_census, rows_imd, rows_clif])\n"
             "ch.finding(profile.headline(rows, ch.cfg.area.name), kind='headline',\n"
             "           anchor='Borough-profile', **profile.headline_evidence(rows))"),
]

DASHBOARD = """Each row compares the latest 12 months with the **same 12 months a year \
earlier** (the second table does the same for the latest 3 months, which move around more). \
*Significant* means the change is bigger than normal year-to-year variation would explain \
(a test for two Poisson counts at the 5% level). Rates are offences per 1,000 residents \
(Census 2021) over the window. **London rank** orders the boroughs policed by the MPS from the \
lowest rate (1st) to the highest; **BCU rank** does the same within the police Basic Command \
Unit. ▲ = more offences than a year earlier, ▼ = fewer."""

COMPARE = """The **funnel plot** shows every London borough's rate against its population. \
The funnel-shaped lines mark how far from the London rate a borough of that size could fall \
by chance alone; boroughs outside them differ from London for reasons worth understanding. \
Boroughs differ in many ways besides chance (visitors, night-time economy, deprivation), so \
for a common offence many boroughs fall outside the funnel: the chart shows *where* the area \
sits, not a league table."""

CAVEATS = """- **Recorded crime is not all crime.** It depends on victims reporting and on \
police recording and activity; sexual offences in particular are under-reported, and a rise \
can reflect more victims coming forward. Possession of weapons mostly reflects police \
activity.
- **Short windows are volatile.** Judge change on 12-month totals; 3-month and monthly \
figures move a lot by chance and with the seasons.
- **Small numbers.** Homicide and some other counts are small: they are shown as ranges or \
hidden, and their changes are not interpreted.
- **Revisions.** The police revise recent months as investigations progress; figures can \
differ slightly between data releases and between the ward and borough files.
- **Rates use Census 2021 residents.** Areas with many visitors (town centres, transport \
hubs) have high rates per resident partly because of who passes through."""

NB02 = [
    ("md", "# Violence data and trends"),
    ("code", "from sna.sections import comparisons, other_sources, trend_data, trend_series, "
             "trends\n\n"
             "td = trend_data.prepare(ch)\n"
             "trends.show_intro(ch, td)"),
    ("md", "## Performance dashboard"),
    ("md", DASHBOARD),
    ("code", "dash, safe, sentences = trends.show_dashboard(ch, td)\n"
             "trends.record_findings(ch, dash, safe, sentences)"),
    ("md", "## What serious violence is made of"),
    ("code", "breakdown = trend_series.show_breakdown(ch, td)"),
    ("md", "## Trends over time"),
    ("md", "The charts show the last eight years. Monthly numbers go up and down with the "
           "seasons and by chance; the 12-month lines smooth that out. Dashed vertical lines "
           "mark changes in how offences were recorded or gaps in the data: do not read a "
           "step at those lines as a real change."),
    ("code", "series = trend_series.show_trends(ch, td)"),
    ("md", "### Year by year, and the time of year"),
    ("code", "trend_series.show_annual(ch, td)"),
    ("md", "## Comparisons with London, the BCU and neighbours"),
    ("code", "summary = comparisons.show_comparisons(ch, td)"),
    ("md", COMPARE),
    ("md", "## Knife crime"),
    ("md", "Knife crime comes from the MPS monthly crime dashboard, published by borough only. "
           "It overlaps the offence types above (most knife crime with injury is also violence "
           "with injury or robbery), so it is never added to the serious violence total."),
    ("code", "knife = other_sources.show_knife(ch, td)"),
    ("md", "## Homicide"),
    ("code", "homicide = other_sources.show_homicide(ch)"),
    ("md", "## Historical context: ambulance call-outs for assault"),
    ("md", "London Ambulance Service data by borough were published only up to July 2016. "
           "They show violence that needed medical help, whether or not it was reported to "
           "the police, but they are now historical context only."),
    ("code", "other_sources.show_ambulance(ch)"),
    ("md", "## Caveats"),
    ("md", CAVEATS),
]


def main() -> None:
    """Write both notebooks."""
    write_notebook("notebooks/01_context_profile.ipynb", "01_context_profile", NB01)
    write_notebook("notebooks/02_violence_trends.ipynb", "02_violence_trends", NB02)


if __name__ == "__main__":
    main()
