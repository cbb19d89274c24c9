// Package report renders Lucid's results as human-readable, self-contained
// HTML: WriteAudit for an audit (report.html next to report.json),
// WriteExplanations for one or more explanations (lucid explain --html),
// WriteGlobal for a global explanation (global.html next to
// global.json, lucid explain --global) and WriteCompare for a comparison
// of two models or two files (lucid compare). It also keeps a run's figures over
// time: AppendHistory (a JSONL line per run, whose whole-data figures
// report.html plots as trends) and WriteTensorBoard (a TensorBoard event
// file per run, the same figures).
//
// A page is a single file with no network references at all: the CSS is
// inline, the charts are inline SVG, and a small inline script only adds
// an "expand all" toggle. A Content-Security-Policy meta tag, the first
// element after the charset, forbids any fetch (default-src 'none'; images
// only from data: URLs; base-uri and form-action 'none') and allows only
// the page's own two inline scripts, by their SHA-256 (computed from the
// scripts in csp.go when the package loads), so a script that got into the
// page any other way would not run. Styles are allowed inline
// (style-src 'unsafe-inline', for styles only: the heatmap colours are
// style attributes, and with nothing fetchable a style cannot send
// anything). Errors thrown by the scripts are appended to the hidden
// element <pre id="js-errors">, so a test driving a headless browser can
// read them from the DOM.
//
// # Data strings
//
// Every string that comes from the data or the model (texts, tokens,
// words, labels, group, column, slice and method names, file names,
// reasons, summary messages) is shown so that it cannot change how the
// text around it is displayed:
//
//   - it is HTML-escaped (html/template);
//   - every bidi embedding, override and isolate control (U+202A–U+202E,
//     U+2066–U+2069) is removed as a control, balanced or not, and shown
//     as an escape instead ("\u202e"), so a group "x\u202e" neither
//     reverses the numbers after it nor looks like a group "x"; other
//     control characters (C0 and C1 except tab and newline, DEL, U+2028,
//     U+2029) and bytes that are not UTF-8 are shown the same way ("\x1b"),
//     each in a <span class="ctl"> so it cannot be mistaken for a
//     backslash in the text;
//   - in HTML content it is wrapped in <bdi>, so its own direction (a
//     Hebrew or Arabic name) stays inside it; in tooltips, SVG text and the
//     page title, where markup cannot go, it is wrapped in U+2068 FIRST
//     STRONG ISOLATE … U+2069 POP DIRECTIONAL ISOLATE, the plain-text form
//     of <bdi>. A heatmap or highlighted text is isolated as a whole, so
//     a right-to-left sentence keeps its word order.
//
// Summary messages are sentences made by the audit with names inside;
// each is isolated as a left-to-right sentence, and every occurrence in it
// of a column, group, slice, test, family or method name holding a
// right-to-left letter is isolated on its own. data-key attributes are
// never displayed and keep names exactly as report.json has them.
//
// # Machine-readable numbers
//
// Every key number is printed inside an element with a data-key attribute,
// so a test can compare the page with report.json:
//
//	<span data-key="rows">1000</span>
//
// Counts are printed as integers. p-values are printed with two
// significant digits ("0.031", "3.1e-07"). Every other number is printed
// with a fixed number of decimals: 4 for rates, metrics, deltas, scores,
// thresholds and seconds per text, 2 for times in seconds (the audit's
// total and each phase's), 1 for rows per second and evaluations per
// text; a reader can take the precision from the printed text (half a
// unit of its last digit). Signed quantities
// (deltas, gaps, differences between groups) carry an explicit sign
// ("+0.0123"). A verdict's badge carries a data-key too; its text is the
// status as report.json has it (pass, warn, fail, info). An undefined value
// (NaN in Go, null in JSON) is printed as "n/a", followed by the reason
// outside the data-key element. A number report.json holds as 0 but that
// was not measured (the failure rate of a test that applied to no text, an
// empty slice's accuracy) is shown as "n/a" or "—" without a data-key. The keys, with <column>, <group> and so on
// standing for the names as they appear in report.json (the segments are
// joined with ":" as they are, so a name containing ":" makes the key
// ambiguous):
//
//	rows, labelled_rows, unlabelled_rows, skipped_rows, seconds,
//	rows_per_second (the reading phase's alone)
//	decision_rule:alpha, decision_rule:thresholds:<name>
//	timing:<phase>:seconds, timing:<phase>:items     (phase as in timings)
//	accuracy, accuracy:low, accuracy:high
//	positive_prediction_rate, positive_prediction_rate:low, positive_prediction_rate:high
//	group:<column>:<group>:count
//	group:<column>:<group>:<metric>[:low|:high]
//	    metric: accuracy, positive_rate, tpr, fpr, fnr, precision, disparate_impact
//	group-overall:<column>:<metric>[:low|:high]   (and group-overall:<column>:count)
//	disparity:<column>:<name>[:low|:high]
//	    name: demographic_parity_difference, demographic_parity_ratio,
//	    disparate_impact, equal_opportunity_difference,
//	    equalized_odds_difference, predictive_parity_difference
//	group-verdict:<column>                          (the verdict's status)
//	pair:<column>:<a>:<b>:<metric>[:low|:high]      (the estimate, A − B or B / A)
//	pair:<column>:<a>:<b>:<metric>:p_holm|verdict
//	pair:<column>:<a>:<b>:<metric>:table:<i>        (i: 0 A's successes, 2 B's)
//	pair:<column>:<a>:<b>:<metric>:n_a|n_b          (table[0]+table[1], table[2]+table[3])
//	    metric: positive_rate, tpr, fpr, precision, disparate_impact
//	paired-verdict:<column>
//	paired:<column>:rows|frames|matched_frames|no_frame_rows|skipped_group_rows|dropped_rows
//	paired:<column>:<a>:<b>:<field>
//	    field: n, mean, low, high, positive, negative, ties, sign_p, t_p,
//	    wilcoxon_p (from score), p_adjusted, positive_rate_difference, verdict
//	paired-group:<column>:<group>:rows|frames|mean_score
//	cf:<family>:swaps, cf:<family>:mean_abs_delta, cf:<family>:mean_delta,
//	cf:<family>:max_abs_delta, cf:<family>:flip_rate
//	cf:<family>:texts|flips|verdict, cf:<family>:flip_interval:low|high,
//	cf:<family>:signed_check:estimate|low|high|p (the worst direction's),
//	cf:<family>:flip_check:p
//	cf-dir:<family>:<from>:<to>:<field>   (a direction: a row of groups)
//	    field: texts, swaps, flips, flip_rate, flip_interval:low|high,
//	    signed:n|mean|low|high|positive|negative|ties|sign_p|t_p|wilcoxon_p,
//	    signed:wilcoxon_n (shown only when sampled), signed_check:p (Holm),
//	    flip_check:p (Holm), verdict
//	cf-explained:<i>:word:<j>:delta                (i, j: indices from 0)
//	consistency:<test>:failure_rate[:low|:high]
//	consistency:<test>:tested, consistency:<test>:not_applicable,
//	consistency:<test>:failures, consistency:<test>:saturated,
//	consistency:<test>:at_ceiling, consistency:<test>:flips,
//	consistency:<test>:flips_within_tolerance,
//	consistency:<test>:delta:mean|low|high, consistency:<test>:p_holm,
//	consistency:<test>:validity:rate[:low|:high] (the generator's
//	hand-measured validity)
//	(the evidence's p), consistency:<test>:verdict
//	consistency-run:tolerance, consistency-run:fail_rate_threshold
//	suite:<test>:failure_rate[:low|:high], suite:<test>:cases|texts|tested|
//	saturated|failures, suite:<test>:p_holm (the evidence's p),
//	suite:<test>:verdict (the --suite tests)
//	suite-run:tolerance, suite-run:fail_rate_threshold
//	databias-weighted:rows|bad_weights (--weight-col's table),
//	databias-weighted:<column>:max_gap, databias-weighted:<column>:label_share:<i>,
//	databias-weighted:<column>:<group>:rows|weight|share:<i> (i: label index)
//	slice:<name>:count, slice:<name>:accuracy[:low|:high], slice:<name>:gap
//	slice:<name>:vs_rest[:low|:high] (the evidence: accuracy − rest's),
//	slice:<name>:p_holm, slice:<name>:rest_count, slice:<name>:verdict
//	faithfulness:<method>:texts, faithfulness:<method>:comprehensiveness[:low|:high],
//	faithfulness:<method>:sufficiency, faithfulness:<method>:aopc_deletion,
//	faithfulness:<method>:aopc_insertion,
//	faithfulness:<method>:evaluations_per_text,
//	faithfulness:<method>:wall_seconds_per_text
//	stability:<method>:<setting>:texts, stability:<method>:<setting>:mean_spearman[:low|:high],
//	stability:<method>:<setting>:p_below_threshold,
//	stability:<method>:<setting>:mean_top3_overlap, stability:<method>:<setting>:verdict
//
// The explanations page uses explanation:<i>:f_x, explanation:<i>:base_value,
// explanation:<i>:probability:<label> and
// explanation:<i>:feature:<j>:attribution (i the result's index, j the
// feature's index in Result.Features).
//
// # Heatmaps
//
// A heatmap shows a text with each feature's span (from its byte offsets,
// or its character offsets when the byte offsets do not fit the text)
// coloured by its attribution: green towards the target, red against it,
// with an intensity proportional to |value| / max |value| (over both texts
// of a counterfactual pair). Each span is a <span class="tok pos|neg|zero">
// with the value in its data-attr attribute (4 decimals) and in its title
// (the hover tooltip). Text between features is shown unstyled.
//
// In a counterfactual pair, the words the swap changed are marked on top
// of their colour: the swapped term with a solid outline (class
// mark-swap), a word rewritten to agree with it (an article, a pronoun, a
// possessive: the swap's Agreements and NewAgreements) with a dashed one
// (mark-agree), each said in the tooltip too; a legend line under the pair
// says which is which. In the plain texts of the largest changes they are
// <mark class="swap"> and <mark class="agree">.
package report
