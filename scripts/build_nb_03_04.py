"""Write notebooks/03_spatial.ipynb and notebooks/04_risk_protective.ipynb (developer tool).

Run from the project root: ``.venv/bin/python -m scripts.build_nb_03_04``. The notebooks are
thin: prose cells, and short code cells calling the chapter 03 modules
(:mod:`sna.sections.wards`, :mod:`~sna.sections.hotspots`, :mod:`~sna.sections.lsoa_maps`) and
the chapter 04 modules (:mod:`sna.sections.deprivation`, :mod:`~sna.sections.young_people`,
:mod:`~sna.sections.victims`).
"""

from __future__ import annotations

from scripts.nbbuild import write_notebook

NB03 = [
    ("md", "# Spatial distribution and hotspots"),
    ("md", "This chapter shows **where** serious violence happens in the borough: which wards "
           "and neighbourhoods have the highest rates, whether high rates cluster together "
           "(hot spots), whether that pattern has lasted, and how concentrated violence is. "
           "Rates are per 1,000 residents (Census 2021), so areas with many visitors - town "
           "centres, transport hubs - can look high because of who passes through, not who "
           "lives there."),
    ("code", "from sna.sections import hotspots, lsoa_maps, wards\n\n"
             "wd = wards.load_ward_data(ch)\n"
             "table = wards.ward_table(wd, ch.period)\n"
             "recon = wards.reconciliation(wd, table, ch.period)\n"
             "ind = wards.main_indicator(table)\n"
             "ch.md('Period: the 12 months **{w}**, {a}, {n} wards.',\n"
             "      w=wards.window_text(ch.period), a=ch.cfg.area.name, n=len(wd.wards))"),
    ("md", "## Ward boundaries"),
    ("code", "ch.md(wards.boundary_sentence(ch.cfg.area.name, len(wd.wards), wd.months[0]))\n"
             "if wd.notes:\n"
             "    ch.note(' '.join(wd.notes), kind='warning')"),
    ("md", "## Where serious violence happens"),
    ("code", "ch.md(wards.ward_summary(table, recon, ch.cfg.min_count))\n"
             "safe = ch.publish(table, 'ward_indicators', **wards.SUPPRESS)\n"
             "ch.table(wards.ward_display(safe, ind), None, f'{wards.label(ind)} by ward, '\n"
             "         f'{wards.window_text(ch.period)}, highest smoothed rate first. * = fewer than '\n"
             "         f'{ch.cfg.min_count} offences, or worked out from such a count (suppressed).',\n"
             "         formats=wards.DISPLAY_FORMATS);"),
    ("md", "The **smoothed rate** (Empirical Bayes) pulls the rate of a ward with few residents "
           "or few offences towards the borough average, so that chance highs and lows in small "
           "numbers do not stand out; the 95% confidence interval (CI) shows the range the "
           "ward's true rate is likely to lie in. The full table for every indicator is in "
           "`tables/ward_indicators.csv`."),
    ("code", "ch.figure(*wards.rate_map(wd, table, ind, ch.period, ch.cfg.min_count),\n"
             "          'Smoothed rate per 1,000 residents by 2022 ward; classes by natural breaks '\n"
             "          '(Fisher-Jenks); darker = higher.')"),
    ("code", "ch.table(wards.reconciliation_display(recon, ch.cfg.min_count), None,\n"
             "         'Check: ward counts against the borough total of the same police ward '\n"
             "         f'file, {wards.window_text(ch.period)}. * = fewer than {ch.cfg.min_count}.',\n"
             "         formats=wards.RECON_FORMATS);"),
    ("md", "### The main offence types"),
    ("md", "Each map shows a ward's smoothed rate as a multiple of the borough rate for that "
           "offence (1 = the borough average), so offences with very different volumes can be "
           "compared on one colour scale."),
    ("code", "ch.figure(*wards.relative_maps(wd, table, wards.MAP_INDICATORS, ch.period, "
             "ch.cfg.min_count),\n"
             "          'Smoothed ward rate divided by the borough rate, by offence type; shared '\n"
             "          'colour classes (quantiles). Grey: fewer than '\n"
             "          f'{ch.cfg.min_count} offences (suppressed).')"),
    ("md", "## Change since a year earlier"),
    ("code", "ch.md(wards.change_summary(table, ch.cfg.min_count))\n"
             "ch.figure(*wards.change_map(wd, table, ind, ch.period, ch.cfg.min_count),\n"
             "          'Change in the number of offences against the same 12 months a year '\n"
             "          'earlier; red = more, blue = fewer. Small changes are often chance.')"),
    ("md", "## Hot spots"),
    ("md", "A **hot spot** is a ward whose rate, together with its neighbours' rates, is higher "
           "than chance would produce if violence were spread at random across the borough. "
           "We use the Getis-Ord Gi* statistic on the smoothed rates, test it with 9,999 "
           "random re-arrangements (fixed seed, so results repeat exactly), and correct for "
           "testing every ward at once (false discovery rate 5%). With about two dozen wards "
           "this test is strict: a ward needs a clearly unusual cluster to pass it."),
    ("code", "windows = hotspots.hotspot_windows(wd, ch.period)\n"
             "hot = hotspots.ward_hotspots(wd, windows)\n"
             "hot_md, hot_finding, hot_evidence = hotspots.hotspot_text(hot, table)\n"
             "ch.md(hot_md)\n"
             "ch.publish(hot, 'ward_hotspots')\n"
             "ch.table(hotspots.hotspot_overview(hot), None, 'Hot and cold spots by offence type '\n"
             "         f'({wards.window_text(ch.period)}) and persistence over the last '\n"
             "         f'{len(windows)} 12-month windows.');"),
    ("code", "ch.figure(*hotspots.hotspot_map(wd, hot, ind),\n"
             "          'Getis-Ord Gi* for the smoothed rate, latest 12 months: hot and cold spot '\n"
             "          'classes after the false discovery rate correction when any ward is '\n"
             "          'significant; otherwise the z-scores, which show where high (red) or low '\n"
             "          '(blue) rates cluster even though no cluster passes the test.')\n"
             "ch.finding(hot_finding, kind='hotspot', anchor='Hot-spots', **hot_evidence)"),
    ("md", "**Persistence** counts in how many of the last three 12-month windows each ward was "
           "a hot spot; all windows use the same 2022 wards and Census 2021 populations."),
    ("md", "## Concentration"),
    ("code", "ld = lsoa_maps.load_lsoa_data(ch, wd, ch.period)\n"
             "conc = hotspots.concentration_table(table, ld.table if ld else None)\n"
             "ch.md(hotspots.concentration_text(conc, ind))\n"
             "conc_safe = ch.publish(conc, 'concentration', **hotspots.CONCENTRATION_SUPPRESS)\n"
             "ch.table(hotspots.concentration_display(conc_safe), None, 'Share of offences in the 10% '\n"
             "         'of areas with the most offences (wards, and LSOAs where supplied).',\n"
             "         formats=hotspots.CONCENTRATION_FORMATS)\n"
             "conc_sv = conc[conc['indicator'] == ind]\n"
             "ch.finding(hotspots.concentration_text(conc, ind).replace('**', ''),\n"
             "           kind='hotspot', anchor='Concentration', top_areas=list(conc_sv['top_areas']),\n"
             "           top_share_pct=list(conc_sv['top_share_pct']))"),
    ("md", "## Neighbourhoods (LSOAs)"),
    ("md", "Lower-layer super output areas (LSOAs) are small neighbourhoods of about 1,500 "
           "residents. The police do not publish rape and other sexual offences by LSOA, so "
           "here serious violence means homicide, violence with injury, personal robbery and "
           "possession of weapons."),
    ("code", "if ld is None:\n"
             "    ch.not_supplied('mps_lsoa', 'MPS recorded crime by LSOA (and the LSOA lookup)')\n"
             "else:\n"
             "    lsoa_md, lsoa_evidence = lsoa_maps.lsoa_text(ld, ch.cfg.min_count)\n"
             "    ch.md(lsoa_md)\n"
             "    ch.publish(ld.table, 'lsoa_indicators', **lsoa_maps.LSOA_SUPPRESS)"),
    ("code", "if ld is not None and ld.polygons is not None:\n"
             "    ch.figure(*lsoa_maps.lsoa_map(ld, wd, ch.cfg.min_count), 'Smoothed rate per 1,000 '\n"
             "              'residents by LSOA, with 2022 ward boundaries.')\n"
             "    ch.figure(*lsoa_maps.lsoa_map(ld, wd, ch.cfg.min_count, kind='hotspot'),\n"
             "              'Getis-Ord Gi* by LSOA, with 2022 ward boundaries: classes after the '\n"
             "              'false discovery rate correction when any LSOA is significant, '\n"
             "              'otherwise z-scores (red = high rates cluster, blue = low).')\n"
             "elif ld is not None:\n"
             "    ch.not_supplied('lsoa', 'LSOA 2021 boundaries (for LSOA maps and hot spots)')"),
    ("md", "## CCTV incidents"),
    ("code", "if ch.has('cctv'):\n"
             "    cctv_long, cctv_wards = lsoa_maps.cctv_tables(ch.load('cctv').frame, wd.wards)\n"
             "    ch.md(lsoa_maps.cctv_sentence(cctv_long, ch.cfg.min_count))\n"
             "    ch.publish(cctv_long, 'cctv_by_ward', count_cols=['count'])\n"
             "    ch.table(wards.shown(cctv_wards.drop(columns='ward_code').rename(columns={\n"
             "        'ward_name': 'Ward', 'incidents': 'Incidents',\n"
             "        'violence_related': 'Violence-related incidents'}).sort_values(\n"
             "        'Incidents', ascending=False), ['Incidents', 'Violence-related incidents'],\n"
             "        ch.cfg.min_count), None, 'CCTV incidents by ward (violence-related = violent '\n"
             "        'crime, offensive weapon, robbery, sexual offence, murder, public disorder). '\n"
             "        f'* = fewer than {ch.cfg.min_count}.', formats={'Incidents': ',.0f',\n"
             "        'Violence-related incidents': ',.0f',\n"
             "        '_suppressed': ['Incidents', 'Violence-related incidents']})\n"
             "    ch.figure(*lsoa_maps.cctv_map(wd, cctv_wards, ch.cfg.min_count), 'CCTV incidents '\n"
             "              'recorded by the control room, by ward. Cameras are not spread evenly, '\n"
             "              'so this shows where cameras see incidents, not where all incidents '\n"
             "              'happen.')\n"
             "else:\n"
             "    ch.not_supplied('cctv', 'CCTV incidents by ward (template: '\n"
             "                    'data/templates/cctv_incidents_by_ward.csv)')"),
    ("md", "## Street-level crime from police.uk"),
    ("code", "if ch.has('police_uk'):\n"
             "    pu = ch.load('police_uk').frame\n"
             "    pu_types = lsoa_maps.police_uk_types(pu)\n"
             "    ch.table(wards.shown(pu_types.rename(columns={'crime_type': 'Crime type',\n"
             "             'records': 'Records', 'first_month': 'First month',\n"
             "             'last_month': 'Last month'}), ['Records'], ch.cfg.min_count), None,\n"
             "             'Crime types in the police.uk street-level files supplied.',\n"
             "             formats={'Records': ',.0f', '_suppressed': ['Records']})\n"
             "    ch.md(lsoa_maps.police_uk_sentence(pu_types))\n"
             "    pu_fig, pu_alt, pu_level, pu_kinds = lsoa_maps.police_uk_map(\n"
             "        pu, wd, ch.load('lsoa').frame if ch.has('lsoa') else None, ch.cfg.min_count)\n"
             "    ch.figure(pu_fig, pu_alt, f'police.uk records by {pu_level} '\n"
             "              f'({\", \".join(pu_kinds)}); locations are snapped to nearby points.')\n"
             "else:\n"
             "    ch.not_supplied('police_uk', 'police.uk street-level crime files')"),
    ("md", "## Caveats"),
    ("md", "- **Residents are not the population at risk.** Rates use where people live; "
           "wards with shopping centres, stations or night-time economies attract visitors, "
           "so their resident rates overstate the risk to residents.\n"
           "- **Small numbers.** Homicide, rape and weapons offences are few per ward; their "
           "ward rates move a lot from year to year by chance. Smoothed rates and confidence "
           "intervals show this; counts from 1 to 4 are suppressed.\n"
           "- **Hot spots are statistical, not operational.** No significant hot spot does "
           "not mean violence is even: it means the differences between wards could arise "
           "by chance given the numbers. The highest-rate wards still deserve attention.\n"
           "- **Where an offence is recorded** is where police placed it, not always where "
           "it happened, and offences reported later may be added to earlier months."),
    ("code", "ch.finding(hotspots.headline(table, hot, conc), kind='headline',\n"
             "           anchor='Where-serious-violence-happens')"),
]



NB04 = [
    ("md", "# Risk and protective factors"),
    ("md", "This chapter looks at **who and which places are most at risk** of serious "
           "violence: how violence relates to deprivation and other characteristics of areas, "
           "how the borough's young people compare with London's, what partners know about "
           "vulnerable groups, what the open data say about victims and offenders, and the "
           "community assets that protect against violence. Most of this evidence compares "
           "**areas**, not people: a link between deprived areas and violence does not mean "
           "that deprived people are violent (the *ecological fallacy*)."),
    ("code", "from sna.sections import deprivation, lsoa_maps, victims, wards, young_people\n\n"
             "wd = wards.load_ward_data(ch)\n"
             "table = wards.ward_table(wd, ch.period)\n"
             "ld = lsoa_maps.load_lsoa_data(ch, wd, ch.period)\n"
             "profile, ward = deprivation.load_profiles(ch, wd, table, ld)\n"
             "ch.md('Crime data: the 12 months **{w}**; LSOA data: **{lw}**.', "
             "w=wards.window_text(ch.period),\n"
             "      lw=wards.window_text(ld.end) if ld else 'not supplied')"),
    ("md", "## Deprivation"),
    ("md", "The English Indices of Deprivation rank every neighbourhood (LSOA) in England; "
           "decile 1 holds the 10% most deprived, decile 10 the 10% least deprived. Here each "
           "of the borough's LSOAs takes its national decile, and violence rates are worked "
           "out for all the LSOAs in each decile together. Serious violence here excludes "
           "sexual offences, which are not published by LSOA."),
    ("code", "if profile is None or profile['imd_decile'].isna().all():\n"
             "    ch.not_supplied('imd' if ld is not None else 'mps_lsoa',\n"
             "                    'LSOA crime counts and the Indices of Deprivation')\n"
             "    gradient = {}\n"
             "else:\n"
             "    deciles = deprivation.decile_rates(profile)\n"
             "    dec_safe = ch.publish(deciles, 'imd_decile_rates', **deprivation.DECILE_SUPPRESS)\n"
             "    gradient_md, gradient = deprivation.decile_gradient(deciles, ch.cfg.min_count)\n"
             "    ch.md(gradient_md)\n"
             "    ch.figure(*charts.decile_bars(deciles, title='Serious violence (excluding sexual '\n"
             "              f'offences) by deprivation decile, {wards.window_text(ld.end)}'),\n"
             "              f'Rate per 1,000 residents in the LSOAs of each national '\n"
             "              f'{profile[\"edition\"].iloc[0]} decile, with 95% confidence intervals.')\n"
             "    ch.table(deprivation.decile_display(dec_safe), None, 'Serious violence (excluding sexual '\n"
             "             'offences) by national deprivation decile. * = suppressed.',\n"
             "             formats=deprivation.DECILE_FORMATS)"),
    ("code", "if gradient:\n"
             "    ch.finding(f\"Serious violence (excluding sexual offences) is {gradient['ratio']:.1f}\"\n"
             "               f\" times as common in the {ch.cfg.area.name} neighbourhoods in \"\n"
             "               \"England's 30% most deprived as in its 30% least deprived \"\n"
             "               f\"({gradient['rate_most_deprived_30pct']:.1f} against \"\n"
             "               f\"{gradient['rate_least_deprived_30pct']:.1f} per 1,000 residents).\",\n"
             "               kind='risk', anchor='Deprivation', **gradient)"),
    ("md", "## Area characteristics linked to violence"),
    ("md", "**Spearman's rho** measures how closely two things rank areas in the same order "
           "(+1: identical order, 0: no link, -1: opposite order); the 95% confidence "
           "interval shows how sure we can be given the number of areas. The IoD2019 domains "
           "are on 2011 neighbourhoods and reach wards through the GLA's population-weighted "
           "lookup. The crime domain is partly built from recorded crime, so its link with "
           "violence is partly circular."),
    ("code", "corr = deprivation.correlations(ward, profile)\n"
             "ch.md(deprivation.correlation_sentence(corr))\n"
             "ch.publish(corr, 'risk_correlations')\n"
             "ch.table(deprivation.correlation_display(corr), None, 'Spearman correlations of the smoothed '\n"
             "         'serious violence rate with area characteristics, by ward and LSOA.');"),
    ("code", "model = deprivation.model_table(profile, ward)\n"
             "ch.md(deprivation.model_sentence(model))\n"
             "ch.publish(model, 'count_model')\n"
             "if len(model):\n"
             "    ch.table(deprivation.model_display(model), None, 'Count model: rate ratios with 95% '\n"
             "             'confidence intervals (1 = no change in the rate).')"),
    ("code", "ward_safe = ch.publish(ward, 'ward_risk_profile', **deprivation.WARD_PROFILE_SUPPRESS)\n"
             "ch.table(deprivation.ward_profile_display(ward_safe), None, 'Ward profile: smoothed serious '\n"
             "         'violence rate and area characteristics, highest rate first.');"),
    ("md", "## How the borough compares with London"),
    ("code", "young = young_people.young_people_all(ch)\n"
             "factors = young_people.risk_factors(ch, young)\n"
             "factors_md, worse = young_people.factors_sentence(factors, ch.cfg.area.name)\n"
             "ch.md(factors_md)\n"
             "ch.publish(factors, 'risk_factors')\n"
             "ch.table(young_people.factors_display(factors, ch.cfg.area.name), None, 'Risk factors: '\n"
             "         f'{ch.cfg.area.name} against London. \"Similar\" = within 10% of the London '\n"
             "         'value or inside the 95% confidence interval of the area rate.');"),
    ("code", "ch.finding(f\"{len(worse)} of {len(factors)} risk factors compared are worse in \"\n"
             "           f\"{ch.cfg.area.name} than in London\" + (': ' + '; '.join(worse) if worse\n"
             "           else '') + '.', kind='risk', anchor='How-the-borough-compares-with-London',\n"
             "           worse=worse)"),
    ("md", "## Young people at risk"),
    ("md", "First-time entrants to the youth justice system, re-offending, school exclusions "
           "and suspensions, young people not in education, employment or training (NEET) and "
           "children in need are all linked to a higher risk of involvement in violence. The "
           "figures come from the Department for Education's Local Authority Interactive Tool "
           "(LAIT) and NEET statistics; statistical neighbours are the comparator boroughs in "
           "the configuration."),
    ("code", "if len(young):\n"
             "    ch.publish(young, 'young_people')\n"
             "    ch.table(young_people.young_display(young, ch.cfg.area.name), None, 'Young people: latest '\n"
             "             'values against London and statistical neighbours.')\n"
             "else:\n"
             "    ch.not_supplied('dfe_lait', 'DfE LA Interactive Tool data (youth justice, '\n"
             "                    'exclusions, NEET, children in need)')"),
    ("code", "if ch.has('dfe_lait'):\n"
             "    ch.figure(*plots.panel_lines(young_people.trend_frame(ch.load('dfe_lait').frame,\n"
             "              ch.cfg.area.name, ch.cfg.area.neighbours), highlight=ch.cfg.area.name,\n"
             "              ncols=2,\n"
             "              title=f'Young people: {ch.cfg.area.name} against London and its '\n"
             "              'statistical neighbours'), 'Trends by year (financial or academic '\n"
             "              'year end). Each panel has its own scale.')"),
    ("md", "## Vulnerable populations"),
    ("md", "Partners hold the best evidence on the people most at risk: high-risk domestic "
           "abuse cases (MARAC), adolescents at risk of exploitation, the Integrated Offender "
           "Management cohort, serious incident reviews. Partners can supply their figures "
           "with the CSV templates described in `data/templates/README.md` "
           "(`partner_indicators.csv`, `vulnerable_populations.csv`)."),
    ("code", "vuln = victims.vulnerable_table(\n"
             "    ch.load('partner_indicators').frame if ch.has('partner_indicators') else None,\n"
             "    ch.load('vulnerable_populations').frame if ch.has('vulnerable_populations')\n"
             "    else None)\n"
             "ch.publish(vuln, 'vulnerable_populations')\n"
             "if len(vuln):\n"
             "    ch.table(victims.vulnerable_display(vuln, ch.cfg.min_count), None, 'Vulnerable '\n"
             "             'groups: the latest figure of each key measure reported by partners. '\n"
             "             'The full list is in tables/vulnerable_populations.csv.',\n"
             "             formats={'Value': ',.1f', '_suppressed': ['Value']})\n"
             "else:\n"
             "    ch.not_supplied('partner_indicators', 'partner figures on vulnerable groups')"),
    ("code", "marac = victims.marac_trend(vuln, ch.cfg.area.name) if len(vuln) else None\n"
             "if marac:\n"
             "    ch.figure(*marac, 'MARAC referrals and the share that were repeat referrals, '\n"
             "              'by quarter, as reported to the partnership.')"),
    ("md", "## Victims and offenders"),
    ("md", "### Homicide"),
    ("code", "if ch.has('homicide'):\n"
             "    hom, hom_facts = victims.homicide_table(ch.load('homicide').frame, ch.cfg.area.name)\n"
             "    ch.md(victims.homicide_sentence(hom_facts, ch.cfg.area.name))\n"
             "    hom_safe = ch.publish(hom, 'homicide_proceeded_against', **victims.HOMICIDE_SUPPRESS)\n"
             "    ch.table(victims.counts_display(hom_safe, ch.cfg.area.name, 'London'), None,\n"
             "             'People proceeded against for homicide by age and sex, '\n"
             "             f'{hom_facts[\"first\"]} to {hom_facts[\"last\"]}. * = suppressed.',\n"
             "             formats=victims.counts_formats(ch.cfg.area.name, 'London'))\n"
             "else:\n"
             "    ch.not_supplied('homicide', 'MPS homicide dashboard data')"),
    ("md", "### Stop and search"),
    ("code", "if ch.has('stop_search'):\n"
             "    stops, stop_facts = victims.stop_search_table(ch.load('stop_search').frame, wd.wards)\n"
             "    ch.md(victims.stop_search_sentence(stop_facts, stops, ch.load('census').frame\n"
             "          if ch.has('census') else None, ch.cfg.min_count))\n"
             "    stop_safe = ch.publish(stops, 'stop_search', **victims.STOP_SUPPRESS)\n"
             "    ch.table(victims.counts_display(stop_safe, ch.cfg.area.name, 'Met'), None,\n"
             "             'Stop and search in the area (point in polygon) against all Met stops '\n"
             "             'in the file. * = suppressed.',\n"
             "             formats=victims.counts_formats(ch.cfg.area.name, 'Met'))\n"
             "else:\n"
             "    ch.not_supplied('stop_search', 'police.uk stop and search files')"),
    ("md", "## Protective factors and assets"),
    ("md", "Youth centres, sports clubs, libraries, faith and community venues and safe "
           "havens protect young people by offering trusted adults, things to do and safe "
           "places. Mapping them against where violence is highest shows where provision may "
           "be thin."),
    ("code", "if ch.has('assets'):\n"
             "    hot = victims.hotspot_classes(ch, wd, table)\n"
             "    assets, assets_wards = victims.assets_tables(ch.load('assets').frame, wd, hot, table)\n"
             "    ch.publish(assets, 'assets')\n"
             "    ch.table(assets_wards.drop(columns='ward_code').round(1), None, 'Community '\n"
             "             'assets by ward, highest serious violence rate first.')\n"
             "    ch.figure(*victims.assets_map(wd, assets_wards, assets), 'Community assets '\n"
             "              '(orange dots, where coordinates are given) over the smoothed serious '\n"
             "              'violence rate by ward.')\n"
             "else:\n"
             "    ch.not_supplied('assets', 'a list of community assets and protective services '\n"
             "                    '(name, type, ward or coordinates; template '\n"
             "                    'data/templates/assets.csv)')"),
    ("md", "## Caveats"),
    ("md", "- **Ecological inference.** Links between area characteristics and violence rates "
           "describe places, not people, and do not show cause and effect.\n"
           "- **Where offences happen, not where people live.** Crime is counted at the place of "
           "the offence; victims and offenders may live elsewhere.\n"
           "- **Different years.** Census 2021, IoD2025 (mostly 2022-23 data), IoD2019, child "
           "poverty (financial year ending 2023) and DfE figures cover different years.\n"
           "- **Small numbers.** Youth re-offending and homicide involve few people; one or two "
           "people change the figures a lot. Counts from 1 to 4 are suppressed.\n"
           "- **Partner figures** are copied from board papers as published; definitions and "
           "periods vary."),
    ("code", "ch.finding(deprivation.headline(gradient, worse, ch.cfg.area.name), kind='headline',\n"
             "           anchor='Deprivation')"),
]


def main() -> None:
    """Write both notebooks."""
    write_notebook("notebooks/03_spatial.ipynb", "03_spatial", NB03)
    write_notebook("notebooks/04_risk_protective.ipynb", "04_risk_protective", NB04,
                   imports="from sna import charts, plots")


if __name__ == "__main__":
    main()
