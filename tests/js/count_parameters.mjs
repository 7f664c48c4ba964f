// Reads configurations (JSON on stdin), prints the browser-side counts (JSON on stdout).
import { readFileSync } from "node:fs";
import { countParameters, makeConfig, sharingPlan } from "../../albert_lite/chapters/static/parameter_widgets.mjs";

const cases = JSON.parse(readFileSync(0, "utf-8"));
const answers = cases.map(({ fields, with_heads: withHeads }) => {
  const made = makeConfig(fields);
  if (made.error) return { error: made.error };
  return { counts: countParameters(made.config, withHeads), plan: sharingPlan(made.config) };
});
process.stdout.write(JSON.stringify(answers));
