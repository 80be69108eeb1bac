{#-
    Small-cell suppression with secondary suppression, for open marts.

    Usage, inside a model (the CTE named by `cells` must exist before the call):

        suppressed as (
            {{ suppress_small_cells('kpi_cells', group_by=['month'], cell_by=['level'],
                                    measures=['outgoing_documents', 'outgoing_e_signed'],
                                    parts={'outgoing_e_signed': 'outgoing_documents'}) }}
        )

    then publish `case when not outgoing_documents_is_suppressed then outgoing_documents end`, and null every
    rate built on a suppressed count. Returns every column of `cells` plus `<measure>_is_suppressed` for each
    measure (and some `<measure>__…` working columns to leave out of the final select).

    The rule (docs/kpis.md, "Small cells in open data"), applied to each measure in the order given:
    1. Primary: a count of 1 to threshold-1 (1–4) is withheld. So is a part (numerator) whose whole is withheld,
       or whose complement (whole − part) is 1–4, since the published whole and part would give it back. So is
       a cell for which `withheld_if[measure]` (a boolean column of `cells`) is true: used to withhold every
       cell under a total that a coarser mart withholds, so that the cells cannot be added up to it.
    2. Secondary: within a group (the cells that add up to a published total, e.g. every agency of one month),
       one withheld cell could be recovered as total − published cells. When exactly one cell of a group is
       withheld, the smallest other cell of that group is withheld too (ties broken by `cell_by`), so that at
       least two unknowns share the difference.
    A group of a single cell cannot be protected here: its total must be published (or withheld) by a mart that
    applies the same rule at its own level. Null counts are treated as 0.
    The generic test `small_cells_suppressed` checks the result.
-#}
{% macro suppress_small_cells(cells, group_by, cell_by, measures, parts={}, withheld_if={}, threshold=5) -%}
    {%- set groups = group_by | join(', ') -%}
    {%- set ties = cell_by | join(', ') -%}
    {%- set chain = namespace(previous=cells) -%}
    with
    {%- for measure in measures %}
    {%- set whole = parts.get(measure) %}
    {{ measure }}__primary as (
        select
            *,
            (
                coalesce({{ measure }}, 0) between 1 and {{ threshold - 1 }}
                {%- if whole %}
                or {{ whole }}_is_suppressed
                or coalesce({{ whole }}, 0) - coalesce({{ measure }}, 0) between 1 and {{ threshold - 1 }}
                {%- endif %}
                {%- if withheld_if.get(measure) %}
                or coalesce({{ withheld_if.get(measure) }}, false)
                {%- endif %}
            ) as {{ measure }}__is_primary
        from {{ chain.previous }}
    ),

    {{ measure }}__ranked as (
        select
            *,
            count(*) filter (where {{ measure }}__is_primary) over (partition by {{ groups }})
                as {{ measure }}__primary_in_group,
            row_number() over (
                partition by {{ groups }}
                order by {{ measure }}__is_primary, coalesce({{ measure }}, 0), {{ ties }}
            ) as {{ measure }}__rank_in_group
        from {{ measure }}__primary
    ),

    {{ measure }}__flagged as (
        select
            *,
            {{ measure }}__is_primary
            or ({{ measure }}__primary_in_group = 1 and {{ measure }}__rank_in_group = 1)
                as {{ measure }}_is_suppressed
        from {{ measure }}__ranked
    ){{ "," if not loop.last }}
    {%- set chain.previous = measure ~ '__flagged' %}
    {%- endfor %}

    select * from {{ chain.previous }}
{%- endmacro %}
