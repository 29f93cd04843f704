// The fuzz, part 1 of 2 (test/security/fuzz-suite.ts).
import { describeFuzz } from "./fuzz-suite";

await describeFuzz(1, 2);
