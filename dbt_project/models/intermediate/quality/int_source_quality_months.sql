{#- One row per source system and month in which anything happened to it: completeness (what its loads received
    and what Kho had to refuse), timeliness (loads against its declared schedule) and validity (how its raw tables
    fared at the gates). The open and shared data-quality marts read it. -#}
with sources as (
    select * from {{ ref('stg_kho_ingest__sources') }}
),

loads as (
    select * from {{ ref('stg_kho_ingest__load_log') }}
),

quarantined as (
    select * from {{ ref('stg_kho_quarantine__records') }}
),

gate_results as (
    select * from {{ ref('stg_kho_quality__gate_results') }}
    where source_name is not null
),

-- "Now" is the last thing Kho did, not the clock: a rebuild of old records gives the same figures.
as_of as (
    select max(finished_at) as as_of_at from loads
),

first_loads as (
    select source_name, min(finished_at) as first_load_at
    from loads
    where status = 'succeeded'
    group by 1
),

-- Every month from a source's first load to the last thing Kho did, so a month it delivered nothing in is scored
-- (timeliness 0), with the months of anything else that happened to it.
source_months as (
    select
        first_loads.source_name,
        (calendar_months.month_start)::date as month
    from first_loads
    cross join as_of
    cross join lateral generate_series(
        date_trunc('month', first_loads.first_load_at at time zone 'Asia/Ho_Chi_Minh'),
        date_trunc('month', as_of.as_of_at at time zone 'Asia/Ho_Chi_Minh'),
        interval '1 month'
    ) as calendar_months (month_start)
    union
    select source_name, load_month from loads
    union
    select source_name, quarantined_month from quarantined
    union
    -- A source never loaded is not connected yet: its empty tables pass the gates, and it is not scored.
    select source_name, checked_month from gate_results
    where source_name in (select loads.source_name from loads)
),

load_totals as (
    select
        source_name,
        load_month as month,
        count(*) filter (where status = 'succeeded') as loads_succeeded,
        count(*) filter (where status = 'failed') as loads_failed,
        count(*) filter (where has_drift) as loads_with_drift,
        coalesce(sum(received) filter (where status = 'succeeded'), 0)::bigint as records_received,
        coalesce(sum(loaded) filter (where status = 'succeeded'), 0)::bigint as records_loaded,
        coalesce(sum(quarantined) filter (where status = 'succeeded'), 0)::bigint as records_quarantined,
        coalesce(sum(duplicates) filter (where status = 'succeeded'), 0)::bigint as records_duplicated
    from loads
    group by 1, 2
),

missing_fields as (
    select
        source_name,
        quarantined_month as month,
        count(*) filter (where is_missing_required_field) as records_missing_required_fields
    from quarantined
    group by 1, 2
),

-- The schedule's intervals (hours, days) in which at least one load succeeded.
intervals_with_a_load as (
    select
        loads.source_name,
        loads.load_month as month,
        count(distinct floor(extract(epoch from loads.finished_at) / (3600 * sources.interval_hours)))
            as intervals_with_load
    from loads
    inner join sources on loads.source_name = sources.source_name
    where loads.status = 'succeeded'
    group by 1, 2
),

-- The part of each month the source was expected to deliver in: from its first load (or the month's start) to
-- the end of the month (or the last thing Kho did).
expected_intervals as (
    select
        source_months.source_name,
        source_months.month,
        sources.schedule,
        greatest(
            1,
            ceil(extract(epoch from (
                least((source_months.month + interval '1 month')::timestamp at time zone 'Asia/Ho_Chi_Minh',
                      as_of.as_of_at)
                - greatest(source_months.month::timestamp at time zone 'Asia/Ho_Chi_Minh',
                           coalesce(first_loads.first_load_at, as_of.as_of_at))
            )) / (3600 * sources.interval_hours))
        )::integer as intervals_expected
    from source_months
    inner join sources on source_months.source_name = sources.source_name
    cross join as_of
    left join first_loads on source_months.source_name = first_loads.source_name
),

validity as (
    select
        source_name,
        checked_month as month,
        count(*) as expectations_evaluated,
        count(*) filter (where not is_success) as expectations_failed,
        count(*) filter (where not is_success and severity = 'critical') as expectations_failed_critical
    from gate_results
    group by 1, 2
),

scored as (
    select
        expected_intervals.source_name,
        expected_intervals.month,
        expected_intervals.schedule,
        coalesce(load_totals.loads_succeeded, 0) as loads_succeeded,
        coalesce(load_totals.loads_failed, 0) as loads_failed,
        coalesce(load_totals.loads_with_drift, 0) as loads_with_drift,
        coalesce(load_totals.records_received, 0) as records_received,
        coalesce(load_totals.records_loaded, 0) as records_loaded,
        coalesce(load_totals.records_quarantined, 0) as records_quarantined,
        coalesce(load_totals.records_duplicated, 0) as records_duplicated,
        coalesce(missing_fields.records_missing_required_fields, 0) as records_missing_required_fields,
        coalesce(intervals_with_a_load.intervals_with_load, 0) as intervals_with_load,
        expected_intervals.intervals_expected,
        coalesce(validity.expectations_evaluated, 0) as expectations_evaluated,
        coalesce(validity.expectations_failed, 0) as expectations_failed,
        coalesce(validity.expectations_failed_critical, 0) as expectations_failed_critical
    from expected_intervals
    left join load_totals
        on expected_intervals.source_name = load_totals.source_name
        and expected_intervals.month = load_totals.month
    left join missing_fields
        on expected_intervals.source_name = missing_fields.source_name
        and expected_intervals.month = missing_fields.month
    left join intervals_with_a_load
        on expected_intervals.source_name = intervals_with_a_load.source_name
        and expected_intervals.month = intervals_with_a_load.month
    left join validity
        on expected_intervals.source_name = validity.source_name
        and expected_intervals.month = validity.month
)

select
    *,
    {{ safe_rate_pct('(records_received - records_quarantined - records_duplicated)', 'records_received') }}
        as completeness_pct,
    least(100.00, {{ safe_rate_pct('intervals_with_load', 'intervals_expected') }}) as timeliness_pct,
    {{ safe_rate_pct('(expectations_evaluated - expectations_failed)', 'expectations_evaluated') }} as validity_pct
from scored
