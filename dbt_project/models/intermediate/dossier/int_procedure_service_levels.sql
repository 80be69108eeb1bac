-- The portal lists each procedure's service levels as [{MucDo, TuNgay}]; one row per level and period here.
with procedures as (
    select * from {{ ref('stg_dossier__procedures') }}
),

levels_listed as (
    select
        procedures.procedure_code,
        case history.level ->> 'MucDo'
            when 'TOAN_TRINH' then 'full_online'
            when 'MOT_PHAN' then 'partial_online'
            else 'none'
        end as service_level,
        to_date(history.level ->> 'TuNgay', 'YYYYMMDD') as valid_from,
        history.position
    from procedures
    cross join lateral jsonb_array_elements(procedures.service_level_history)
        with ordinality as history (level, position)
),

last_level_of_each_day as (
    -- Two entries on one day: the later one in the portal's list is the level that held that day.
    select distinct on (procedure_code, valid_from) *
    from levels_listed
    order by procedure_code, valid_from, position desc
),

levels_with_periods as (
    select
        procedure_code,
        service_level,
        valid_from,
        lead(valid_from) over (partition by procedure_code order by valid_from) - 1 as valid_to
    from last_level_of_each_day
)

select * from levels_with_periods
