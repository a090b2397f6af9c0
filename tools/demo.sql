-- tools/demo.sql — what tools/demo.sh runs in database `shop`: data, dashboards, and a look at them.
\pset footer off
\set QUIET on
CREATE EXTENSION supplymkt;
\echo
\echo '== supplymkt.generate_demo_data: the 15 canonical relations in schema shop'
SELECT clock_timestamp() AS started \gset
SELECT * FROM supplymkt.generate_demo_data('shop', :customers, :products, :days, :seed);
SELECT format('   (%s order lines in %s s)', (SELECT count(*) FROM shop.order_items),
              round(extract(epoch FROM clock_timestamp() - :'started'::timestamptz)::numeric, 1)) AS " " \g (tuples_only)
\echo
\echo '== supplymkt.create_dashboards(shop -> dash): objects made, by kind; then a concurrent refresh'
SELECT clock_timestamp() AS started \gset
SELECT kind, count(*) AS objects FROM supplymkt.create_dashboards('shop', 'dash') GROUP BY kind ORDER BY kind;
SELECT format('   (built in %s s)', round(extract(epoch FROM clock_timestamp() - :'started'::timestamptz)::numeric, 1)) AS " " \g (tuples_only)
SELECT object_name, refreshed_concurrently, row_count, round(extract(epoch FROM duration)::numeric, 2) AS seconds
  FROM supplymkt.refresh_dashboards('dash');
\echo
\echo '== Supply dashboard, whole assortment, by month (dash.supply_dashboard)'
SELECT month, units_sold, round(revenue) AS revenue, round(annualized_turnover::numeric, 2) AS turnover_yr,
       round(stockout_rate::numeric, 3) AS stockout, round(fill_rate::numeric, 3) AS fill,
       round(sell_through_rate::numeric, 2) AS sell_through, round(renewal_rate::numeric, 3) AS renewal,
       round(demand_cv::numeric, 2) AS demand_cv, round(on_time_rate::numeric, 3) AS on_time,
       round(return_rate::numeric, 3) AS returns, round(mean_rating::numeric, 2) AS rating,
       round(supply_capability_score::numeric, 1) AS score
  FROM dash.supply_dashboard WHERE scope = 'overall' ORDER BY month;
\echo
\echo '== Supply dashboard, by category, latest month'
SELECT category, units_sold, round(revenue) AS revenue, round(annualized_turnover::numeric, 2) AS turnover_yr,
       round(stockout_rate::numeric, 3) AS stockout, round(fill_rate::numeric, 3) AS fill,
       round(demand_cv::numeric, 2) AS demand_cv, round(on_time_rate::numeric, 3) AS on_time,
       round(supply_capability_score::numeric, 1) AS score
  FROM dash.supply_dashboard
 WHERE scope = 'category' AND month = (SELECT max(month) FROM dash.supply_dashboard)
 ORDER BY revenue DESC NULLS LAST;
\echo
\echo '== Assortment diversity of the whole catalogue'
SELECT (supplymkt.assortment_diversity(category)).* FROM shop.products;
\echo
\echo '== ABC x XYZ: products by revenue class and weekly demand variability (dash.product_abc_xyz)'
SELECT abc_class, xyz_class, count(*) AS products, round(sum(revenue)) AS revenue
  FROM dash.product_abc_xyz GROUP BY 1, 2 ORDER BY 1, 2;
\echo
\echo '== Replenishment: products to order now, most urgent first (dash.replenishment, 95% service level)'
SELECT product_id, name, method, daily_forecast, lead_time_days, safety_stock, reorder_point,
       inventory_position, suggested_order
  FROM dash.replenishment WHERE order_now ORDER BY inventory_position - reorder_point, product_id LIMIT 10;
SELECT count(*) FILTER (WHERE order_now) AS to_order_now, count(*) AS products,
       sum(suggested_order) AS units_suggested FROM dash.replenishment;
\echo
\echo '== Forecast accuracy on the last 28 days, models fitted before them (dash.forecast_accuracy)'
SELECT method, products, round(mae::numeric, 4) AS mae, round(rmse::numeric, 4) AS rmse,
       round(bias::numeric, 4) AS bias, round(mase::numeric, 3) AS mase
  FROM dash.forecast_accuracy ORDER BY mae;
\echo
\echo '== The models the dashboards fitted (dash.models): the CLV model was chosen by holdout error'
SELECT name, model_type, note FROM dash.models ORDER BY name;
\echo
\echo '== Customer segments: RFM segment x CLV (dash.customer_segments)'
SELECT segment, customers, round(customer_share::numeric, 3) AS customer_share,
       round(revenue_share::numeric, 3) AS revenue_share, round(mean_p_alive::numeric, 3) AS mean_p_alive,
       mean_clv_12m
  FROM dash.customer_segments ORDER BY revenue DESC NULLS LAST;
\echo
\echo '== Top customers by 12-month CLV (dash.customer_dashboard)'
SELECT customer_id, name, segment, orders, monetary_total, round(p_alive::numeric, 3) AS p_alive,
       round(expected_purchases_12m::numeric, 2) AS purchases_12m, clv_12m, clv_model
  FROM dash.customer_dashboard ORDER BY clv_12m DESC NULLS LAST, customer_id LIMIT 10;
\echo
\echo '== Personas: k-means on recency, frequency, value and category mix (dash.persona_segments)'
SELECT persona, label, customers, round(customer_share::numeric, 3) AS customer_share,
       round(revenue_share::numeric, 3) AS revenue_share, round(mean_clv_12m::numeric, 2) AS mean_clv_12m,
       top_category
  FROM dash.persona_segments ORDER BY persona;
\echo
\echo '== Recommendations for customer 1 (dash.user_recommendations)'
SELECT rank, item_id, item_name, round(score::numeric, 3) AS score, source, reason
  FROM dash.user_recommendations WHERE customer_id = 1 ORDER BY rank;
\echo
\echo '== Offline evaluation of the recommenders, trained before 2024-09-01 (supplymkt.evaluate_recommenders)'
SELECT recommender, users, round(precision_at_k::numeric, 4) AS p_at_10, round(recall_at_k::numeric, 4) AS r_at_10,
       round(ndcg_at_k::numeric, 4) AS ndcg_at_10, round(hit_rate::numeric, 3) AS hit_rate,
       round(coverage::numeric, 3) AS coverage
  FROM supplymkt.evaluate_recommenders('shop', '2024-09-01');
\echo
\echo '== Association rules of the baskets (dash.product_rules: orders with support >= 0.2%, confidence >= 10%)'
SELECT array_to_string(antecedent_names, ' + ') AS bought, array_to_string(consequent_names, ' + ') AS also_bought,
       round(support::numeric, 4) AS support, round(confidence::numeric, 3) AS confidence, round(lift::numeric, 1) AS lift
  FROM dash.product_rules ORDER BY lift DESC, count DESC, antecedent, consequent LIMIT 10;
\echo
\echo '== Cohort retention, first three months after the first order (dash.retention)'
SELECT cohort_month, cohort_customers, month_offset, round(retention_rate::numeric, 3) AS retention
  FROM dash.retention WHERE month_offset BETWEEN 1 AND 3 AND cohort_month <= '2024-03-01'
 ORDER BY cohort_month, month_offset;
