{#- One row per receiving agency and month with every dossier count the KPI marts publish (the definitions:
    macro dossier_month_contributions). Incremental: a build takes the dossiers fct_dossiers' merges changed
    since the last one from their log (macros/dossier_changes.sql), takes out what the version counted before
    added to its cells and adds what the version now in the fact adds; the months from the one holding the
    data's last update on are counted again whole, as their overdue counts are observed at that moment, which
    moves with each load (every month, after a rebuilt fact). Cells whose counts all fall to zero are deleted,
    as a full build would not make them. -#}
{{
    config(
        materialized='incremental',
        unique_key=['agency_code', 'month'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[{'columns': ['agency_code', 'month'], 'unique': True}],
        pre_hook="{{ take_dossier_changes(ref('fct_dossiers')) }}",
        post_hook=[
            "delete from {{ this }} where dossiers_received = 0 and dossiers_resolved = 0
                and dossiers_overdue_in_progress = 0",
            "{{ clear_dossier_changes(ref('fct_dossiers')) }}",
        ]
    )
}}

{%- set counts = [
    'dossiers_received', 'dossiers_received_online', 'dossiers_received_direct', 'dossiers_received_postal',
    'dossiers_with_fee', 'dossiers_paid_online', 'dossiers_resolved', 'dossiers_resolved_on_time',
    'dossiers_overdue_in_progress'] %}

-- Not materialized: the CTE is read several times, and each reader filters it differently.
with dossiers as not materialized (
    select * from {{ ref('fct_dossiers') }}
),

data_as_of as (
    select max(source_updated_at) as as_of from dossiers
),

{% if not is_incremental() %}

contributions as (
    {{ dossier_month_contributions('dossiers', '(select as_of from data_as_of)') }}
),

counts_by_agency_month as (
    select
        agency_code,
        month,
        {%- for count in counts %}
        sum({{ count }})::integer as {{ count }}{{ ',' if not loop.last }}
        {%- endfor %}
    from contributions
    group by agency_code, month
)

{% else %}

changes as (
    select * from {{ dossier_changes_relation(ref('fct_dossiers')) }}
),

changed_dossiers as (
    select distinct dossier_code from changes where dossier_code is not null
),

-- The version each changed dossier was counted in: the one its first logged change replaced (none if
-- inserted).
counted_versions as (
    select distinct on (dossier_code) *
    from changes
    where dossier_code is not null
    order by dossier_code, change_id
),

replaced_versions as (
    select * from counted_versions where change_kind = 'replaced'
),

changed_dossiers_now as (
    select dossiers.*
    from dossiers
    inner join changed_dossiers on dossiers.dossier_code = changed_dossiers.dossier_code
),

-- The data's last update when the counts were made: over the dossiers as they were then.
counted_as_of as (
    select greatest(
        (select max(source_updated_at) from replaced_versions),
        (
            select dossiers.source_updated_at
            from dossiers
            where dossiers.source_updated_at is not null
                and not exists (
                    select from changed_dossiers where changed_dossiers.dossier_code = dossiers.dossier_code
                )
            order by dossiers.source_updated_at desc
            limit 1
        )
    ) as as_of
),

-- From this month on every cell is counted again; before it, only the changed dossiers' cells change.
recount as (
    select
        case
            when exists (select from changes where change_kind = 'rebuilt') then '-infinity'::date
            else coalesce(
                date_trunc(
                    'month', least(counted_as_of.as_of, data_as_of.as_of) at time zone 'Asia/Ho_Chi_Minh'
                )::date,
                '-infinity'::date
            )
        end as from_month,
        data_as_of.as_of
    from counted_as_of
    cross join data_as_of
),

-- The dossiers that count in the recounted months, in one pass over the fact.
dossiers_in_recounted_months as (
    select dossiers.*
    from dossiers
    cross join recount
    where dossiers.received_month >= recount.from_month
        or dossiers.resolved_month >= recount.from_month
        or (
            dossiers.due_at is not null
            and coalesce(dossiers.finished_at, recount.as_of)
            >= (recount.from_month::timestamp at time zone 'Asia/Ho_Chi_Minh')
        )
),

changed_contributions as (
    {{ dossier_month_contributions(
        'replaced_versions', '(select as_of from counted_as_of)', sign=-1,
        before_month='(select from_month from recount)') }}
    union all
    {{ dossier_month_contributions(
        'changed_dossiers_now', '(select as_of from data_as_of)',
        before_month='(select from_month from recount)') }}
),

changes_by_cell as (
    select
        agency_code,
        month,
        {%- for count in counts %}
        sum({{ count }}) as {{ count }}{{ ',' if not loop.last }}
        {%- endfor %}
    from changed_contributions
    group by agency_code, month
),

cells_corrected as (
    select
        changes_by_cell.agency_code,
        changes_by_cell.month,
        {%- for count in counts %}
        (coalesce(counted.{{ count }}, 0) + changes_by_cell.{{ count }})::integer as {{ count }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from changes_by_cell
    left join {{ this }} as counted
        on changes_by_cell.agency_code = counted.agency_code and changes_by_cell.month = counted.month
),

recounted_contributions as (
    {{ dossier_month_contributions(
        'dossiers_in_recounted_months', '(select as_of from data_as_of)',
        from_month='(select from_month from recount)') }}
    -- A recounted cell no dossier counts in any more comes out as zeros, and is deleted.
    union all
    select agency_code, month{% for count in counts %}, 0{% endfor %}
    from {{ this }}
    where month >= (select from_month from recount)
),

cells_recounted as (
    select
        agency_code,
        month,
        {%- for count in counts %}
        sum({{ count }})::integer as {{ count }}{{ ',' if not loop.last }}
        {%- endfor %}
    from recounted_contributions
    group by agency_code, month
),

counts_by_agency_month as (
    select * from cells_corrected
    union all
    select * from cells_recounted
)

{% endif %}

select * from counts_by_agency_month
