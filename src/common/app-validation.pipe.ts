import { ValidationPipe } from '@nestjs/common';
import type { ValidatorOptions } from 'class-validator';

const IGNORES_UNKNOWN_FIELDS = Symbol('ignoresUnknownFields');

/**
 * Marks a DTO whose unknown fields are dropped instead of refused: Opencast's JAX-RS endpoints
 * ignore extra form fields and query parameters, and its clients may send some.
 */
export function IgnoresUnknownFields(): ClassDecorator {
  return (target) => Reflect.defineMetadata(IGNORES_UNKNOWN_FIELDS, true, target);
}

/**
 * The global validation pipe: refuses unknown fields except on DTOs marked @IgnoresUnknownFields.
 * A controller-level pipe cannot relax it, because global pipes run first.
 */
export class AppValidationPipe extends ValidationPipe {
  protected override validate(object: object, validatorOptions?: ValidatorOptions) {
    const ignoresUnknown = Reflect.getMetadata(IGNORES_UNKNOWN_FIELDS, object.constructor) === true;
    return super.validate(
      object,
      ignoresUnknown ? { ...validatorOptions, forbidNonWhitelisted: false } : validatorOptions,
    );
  }
}
