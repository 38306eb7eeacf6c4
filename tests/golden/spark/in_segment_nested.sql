WITH `segdsl_orders` AS (
  SELECT
    `o`.`order_id` AS `order_id`,
    `o`.`customer_id` AS `customer_id`,
    CAST(`o`.`ordered_at` AS DATE) AS `local_date`,
    CAST(ROUND(`o`.`total` * 100, 0) AS BIGINT) AS `total_minor`
  FROM `orders` AS `o`
  WHERE
    `o`.`customer_id` IN (
      SELECT
        `k`.`customer_id`
      FROM `customers` AS `k`
    )
    AND CAST(`o`.`ordered_at` AS DATE) <= CAST('2024-03-31' AS DATE)
), `segdsl_agg` AS (
  SELECT
    `segdsl_orders`.`customer_id` AS `customer_id`,
    COUNT(DISTINCT `segdsl_orders`.`order_id`) AS `orders`,
    SUM(`segdsl_orders`.`total_minor`) AS `sum_minor`,
    MIN(`segdsl_orders`.`local_date`) AS `first_date`,
    MAX(`segdsl_orders`.`local_date`) AS `last_date`
  FROM `segdsl_orders`
  GROUP BY
    `segdsl_orders`.`customer_id`
), `segdsl_orders_2` AS (
  SELECT
    `o`.`order_id` AS `order_id`,
    `o`.`customer_id` AS `customer_id`,
    CAST(`o`.`ordered_at` AS DATE) AS `local_date`,
    CAST(ROUND(`o`.`total` * 100, 0) AS BIGINT) AS `total_minor`
  FROM `orders` AS `o`
  WHERE
    `o`.`customer_id` IN (
      SELECT
        `k`.`customer_id`
      FROM `customers` AS `k`
    )
    AND CAST(`o`.`ordered_at` AS DATE) >= CAST('2024-03-01' AS DATE)
    AND CAST(`o`.`ordered_at` AS DATE) <= CAST('2024-03-31' AS DATE)
), `segdsl_agg_2` AS (
  SELECT
    `segdsl_orders_2`.`customer_id` AS `customer_id`,
    COUNT(DISTINCT `segdsl_orders_2`.`order_id`) AS `orders`,
    SUM(`segdsl_orders_2`.`total_minor`) AS `sum_minor`,
    MIN(`segdsl_orders_2`.`local_date`) AS `first_date`,
    MAX(`segdsl_orders_2`.`local_date`) AS `last_date`
  FROM `segdsl_orders_2`
  GROUP BY
    `segdsl_orders_2`.`customer_id`
), `segdsl_orders_1` AS (
  SELECT
    `o`.`order_id` AS `order_id`,
    `o`.`customer_id` AS `customer_id`,
    CAST(`o`.`ordered_at` AS DATE) AS `local_date`,
    CAST(ROUND(`o`.`total` * 100, 0) AS BIGINT) AS `total_minor`
  FROM `orders` AS `o`
  WHERE
    `o`.`customer_id` IN (
      SELECT
        `k`.`customer_id`
      FROM `customers` AS `k`
    )
    AND CAST(`o`.`ordered_at` AS DATE) <= CAST('2024-03-31' AS DATE)
), `segdsl_agg_1` AS (
  SELECT
    `segdsl_orders_1`.`customer_id` AS `customer_id`,
    COUNT(DISTINCT `segdsl_orders_1`.`order_id`) AS `orders`,
    SUM(`segdsl_orders_1`.`total_minor`) AS `sum_minor`,
    MIN(`segdsl_orders_1`.`local_date`) AS `first_date`,
    MAX(`segdsl_orders_1`.`local_date`) AS `last_date`
  FROM `segdsl_orders_1`
  GROUP BY
    `segdsl_orders_1`.`customer_id`
)
SELECT
  `c`.`customer_id` AS `customer_id`
FROM `customers` AS `c`
LEFT JOIN `segdsl_agg`
  ON `segdsl_agg`.`customer_id` = `c`.`customer_id`
WHERE
  `c`.`customer_id` IN (
    SELECT
      `segdsl_in_1`.`customer_id`
    FROM (
      SELECT
        `c_1`.`customer_id` AS `customer_id`
      FROM `customers` AS `c_1`
      LEFT JOIN `segdsl_agg_1`
        ON `segdsl_agg_1`.`customer_id` = `c_1`.`customer_id`
      WHERE
        COALESCE(`segdsl_agg_1`.`orders`, 0) >= 2
        AND NOT (
          `c_1`.`customer_id` IN (
            SELECT
              `segdsl_in_2`.`customer_id`
            FROM (
              SELECT
                `c_2`.`customer_id` AS `customer_id`
              FROM `customers` AS `c_2`
              LEFT JOIN `segdsl_agg_2`
                ON `segdsl_agg_2`.`customer_id` = `c_2`.`customer_id`
              WHERE
                COALESCE(`segdsl_agg_2`.`orders`, 0) >= 2
            ) AS `segdsl_in_2`
            WHERE
              NOT `segdsl_in_2`.`customer_id` IS NULL
          )
        )
    ) AS `segdsl_in_1`
    WHERE
      NOT `segdsl_in_1`.`customer_id` IS NULL
  )
  OR (
    NOT `segdsl_agg`.`orders` IS NULL
    AND `segdsl_agg`.`sum_minor` > CAST(`segdsl_agg`.`orders` AS DECIMAL(38, 0)) * 1033
  )
ORDER BY
  `c`.`customer_id`
