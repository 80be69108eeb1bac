-- Every raw step is one row of the fact. The staging tests on step_id see duplicates among the newest loads
-- only (macros/checked_loads.sql): a new step id that normalising made equal to an older one would be merged
-- into it, and the fact would hold fewer rows than raw.
with raw_rows as (
    select count(*) as steps from {{ source('dossier', 'status_steps') }}
),

fact_rows as (
    select count(*) as steps from {{ ref('fct_dossier_status_steps') }}
)

select raw_rows.steps as raw_steps, fact_rows.steps as fact_steps
from raw_rows
cross join fact_rows
where raw_rows.steps <> fact_rows.steps
