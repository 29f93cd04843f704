// The authorization matrix, part 2 of 2 (test/security/authorization-suite.ts).
import { describeMatrix } from "./authorization-suite";

describeMatrix(2, 2);
