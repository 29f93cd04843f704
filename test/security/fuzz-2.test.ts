// The fuzz, part 2 of 2 (test/security/fuzz-suite.ts).
import { describeFuzz } from "./fuzz-suite";

await describeFuzz(2, 2);
