// The authorization matrix, part 1 of 2 (test/security/authorization-suite.ts).
import { describeMatrix } from "./authorization-suite";

describeMatrix(1, 2);
