/**
 * The headless Study language: parse, check against the data, plan, run, export. No LSP provider and no
 * language-server library is loaded from here (the CLI and the workers import this entry);
 * `@study/language` adds the language server's services on top.
 */
export { createStudyCoreServices, StudyCoreModule, type StudyCoreServices, type StudyCoreAddedServices } from './study-core-module.js';
export { parseStudyDocument, parseStudyText, checkStudyFile, toStudyDiagnostic, type StudyDiagnostic, type CheckResult, type Severity } from './check.js';
export { buildPlan, buildModelPlan, StudyPlanError, plannedModel, rowExpr, rowFilter, COVARIANCE_TYPES, type BuildPlanOptions } from './plan-builder.js';
export { Codes, StudyValidator, type SuggestionData } from './study-validator.js';
export { loadData, loadSpecData, clearDataCache, resolveDataPath, dataReadCount, type DataLoad } from './data-cache.js';
export {
  ALLOW_HINTS,
  checkDataAccess,
  configureDataAccess,
  dataAccessOptions,
  MAX_DATA_FILE_BYTES,
  resetDataAccess,
  type DataAccess,
  type DataAccessOptions,
} from './validation/data-access.js';
export { allModels, effectiveModel, fixedTerms, expandFormulaTerm, describeModel, type EffectiveModel } from './semantics.js';
export { editDistance, closest } from './suggest.js';
export * as ast from './generated/ast.js';
export { StudyLanguageMetaData } from './generated/module.js';
export { runStudyFile, runStudyText, studyInputFiles, blockNamePosition, type RunResult, type RunOptions } from './run.js';
export { StudyRequests, type RunParams, type RunResponse, type ResultsChangedParams, type StudyInitializationOptions } from './results/protocol.js';
export { exportStudyFile, exportSas, exportR, type ExportFormat, type ExportResult, type ExportOptions } from './export/index.js';
export { buildProvenance, fileSha256, sha256, studyCommit, studyVersion, type ProvenanceOptions } from './provenance.js';
