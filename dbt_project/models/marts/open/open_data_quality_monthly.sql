{#- Published to everyone: how well each of the province's source systems delivered its data, month by month.
    Counts of records, not of people: nothing here is about a person, so no cell is withheld. -#}
with source_months as (
    select * from {{ ref('int_source_quality_months') }}
),

published as (
    select
        month,
        source_name,
        schedule,
        loads_succeeded,
        loads_failed,
        records_received,
        records_loaded,
        records_quarantined,
        records_missing_required_fields,
        completeness_pct,
        intervals_with_load,
        intervals_expected,
        timeliness_pct,
        expectations_evaluated,
        expectations_failed,
        validity_pct
    from source_months
)

select * from published
